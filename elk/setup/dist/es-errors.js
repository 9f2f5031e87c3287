"use strict";
// Reading the status code and a short reason out of whatever the Elasticsearch client threw.
Object.defineProperty(exports, "__esModule", { value: true });
exports.isNotFound = void 0;
exports.statusOf = statusOf;
exports.describe = describe;
function statusOf(err) {
    const meta = err?.meta;
    return typeof meta?.statusCode === 'number' ? meta.statusCode : undefined;
}
const isNotFound = (err) => statusOf(err) === 404;
exports.isNotFound = isNotFound;
function describe(err) {
    const status = statusOf(err);
    const message = err instanceof Error ? err.message : String(err);
    return status === undefined ? message : `HTTP ${status}: ${message}`;
}
//# sourceMappingURL=es-errors.js.map