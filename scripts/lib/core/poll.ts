// Bounded waiting on the injected clock: ask, and ask again until the answer comes, the time
// is up, or the run is interrupted (Ctrl-C, a cancelled CI job: core/interrupt.ts). A poll
// that AWS throttles beyond the SDK's own retries is skipped, not fatal: the next one comes a
// whole interval later.
import { isThrottling } from './aws-errors.js';
import type { Clock } from './clock.js';
import { throwIfInterrupted } from './interrupt.js';

export interface PollOptions {
  /** The latest clock time to ask at (epoch ms). */
  deadline: number;
  intervalMs: number;
  /** The error to throw once the deadline has passed without an answer. */
  timeout: () => Error;
  /** Aborted: the wait stops at once, between two asks or mid-sleep. */
  signal?: AbortSignal;
}

export async function pollUntil<T>(clock: Clock, options: PollOptions, check: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    throwIfInterrupted(options.signal);
    let result: T | undefined;
    try {
      result = await check();
    } catch (err) {
      if (!isThrottling(err)) throw err;
    }
    if (result !== undefined) return result;
    if (clock.now() + options.intervalMs > options.deadline) throw options.timeout();
    await clock.sleep(options.intervalMs, options.signal);
  }
}
