/**
 * Decides what to do when a worker dies: respawn after an exponential backoff, or give up
 * when deaths within the window show a crash loop. Pure, so it is tested without processes.
 */
export interface RespawnPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
  maxDeathsInWindow: number;
}

export type RespawnDecision = { action: 'respawn'; delayMs: number } | { action: 'give-up'; deaths: number };

/** Every worker may die once at the same moment (e.g. the database restarting) without tripping the guard. */
export const respawnPolicyFor = (workers: number): RespawnPolicy => ({
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  windowMs: 30_000,
  maxDeathsInWindow: Math.max(5, workers * 2),
});

export class RespawnTracker {
  private deaths: number[] = [];

  constructor(private readonly policy: RespawnPolicy) {}

  onDeath(now: number): RespawnDecision {
    this.deaths = [...this.deaths.filter((t) => now - t < this.policy.windowMs), now];
    const recent = this.deaths.length;
    if (recent > this.policy.maxDeathsInWindow) return { action: 'give-up', deaths: recent };
    const delayMs = Math.min(this.policy.baseDelayMs * 2 ** (recent - 1), this.policy.maxDelayMs);
    return { action: 'respawn', delayMs };
  }
}
