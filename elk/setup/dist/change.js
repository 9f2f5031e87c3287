"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.changed = exports.change = void 0;
const change = (action, kind, name) => ({ action, kind, name });
exports.change = change;
const changed = (changes) => changes.filter((c) => c.action !== 'unchanged');
exports.changed = changed;
//# sourceMappingURL=change.js.map