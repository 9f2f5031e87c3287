// Time for the waits, injected so tests run them on a fake clock.
import { setTimeout as wait } from 'node:timers/promises';

export interface Clock {
  /** Resolves after `ms`, or as soon as `signal` aborts (the caller then looks at the signal). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
}

export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  wait(ms, undefined, signal ? { signal } : {}).catch((err: unknown) => {
    if (!signal?.aborted) throw err;
  });

export const systemClock: Clock = { sleep: defaultSleep, now: Date.now };
