// Time for tests: sleeping advances the clock at once, so bounded waits run in no time
// while every deadline and interval is still honoured.
import type { Clock } from '../../../scripts/lib/core/clock.js';

export type FakeClock = Clock & {
  elapsed: () => number;
  /** Time passing in the world while nobody waits (work the fake AWS does). */
  advance: (ms: number) => void;
};

export function fakeClock(start = Date.parse('2026-11-21T10:00:00Z')): FakeClock {
  let t = start;
  // A sleep whose signal is already aborted ends at once, as the system clock's would.
  return { now: () => t, sleep: async (ms, signal) => void (signal?.aborted ? 0 : (t += ms)), elapsed: () => t - start, advance: (ms) => void (t += ms) };
}
