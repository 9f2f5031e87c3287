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

export const DEFAULT_RESPAWN_POLICY: RespawnPolicy = {
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  windowMs: 30_000,
  maxDeathsInWindow: 10,
};

export class RespawnTracker {
  private deaths: number[] = [];

  constructor(private readonly policy: RespawnPolicy = DEFAULT_RESPAWN_POLICY) {}

  onDeath(now: number): RespawnDecision {
    this.deaths = [...this.deaths.filter((t) => now - t < this.policy.windowMs), now];
    const recent = this.deaths.length;
    if (recent > this.policy.maxDeathsInWindow) return { action: 'give-up', deaths: recent };
    const delayMs = Math.min(this.policy.baseDelayMs * 2 ** (recent - 1), this.policy.maxDelayMs);
    return { action: 'respawn', delayMs };
  }
}
