"use strict";
// Bounded polling: try a probe until it says ready or the deadline passes, never forever.
Object.defineProperty(exports, "__esModule", { value: true });
exports.waitUntil = waitUntil;
const defaultSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Resolves when the probe is ready; otherwise resolves with the last reason once time runs out. */
async function waitUntil(probe, opts) {
    const sleep = opts.sleep ?? defaultSleep;
    const now = opts.now ?? Date.now;
    const deadline = now() + opts.timeoutMs;
    for (;;) {
        const result = await probe();
        if (result.ready)
            return result;
        const left = deadline - now();
        if (left <= 0)
            return result;
        await sleep(Math.min(opts.intervalMs, left));
    }
}
//# sourceMappingURL=wait.js.map