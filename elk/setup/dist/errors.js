"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.SetupError = void 0;
// An error the operator can act on: what went wrong, and what to do about it.
class SetupError extends Error {
    hint;
    constructor(message, hint) {
        super(message);
        this.hint = hint;
        this.name = 'SetupError';
    }
}
exports.SetupError = SetupError;
//# sourceMappingURL=errors.js.map