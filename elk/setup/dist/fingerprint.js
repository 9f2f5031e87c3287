"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.fingerprint = fingerprint;
// A short, stable digest of a definition, stored beside it so a later run can tell "already in place".
const node_crypto_1 = require("node:crypto");
function canonical(value) {
    if (Array.isArray(value))
        return value.map(canonical);
    if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.keys(value)
            .sort()
            .map((k) => [k, canonical(value[k])]));
    }
    return value;
}
function fingerprint(value) {
    return (0, node_crypto_1.createHash)('sha256').update(JSON.stringify(canonical(value))).digest('hex').slice(0, 16);
}
//# sourceMappingURL=fingerprint.js.map