// Bounded polling: try a probe until it says ready or the deadline passes, never forever.

export type ProbeResult = { ready: true } | { ready: false; reason: string };

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Injected so tests run in milliseconds. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves when the probe is ready; otherwise resolves with the last reason once time runs out. */
export async function waitUntil(probe: () => Promise<ProbeResult>, opts: WaitOptions): Promise<ProbeResult> {
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  for (;;) {
    const result = await probe();
    if (result.ready) return result;
    const left = deadline - now();
    if (left <= 0) return result;
    await sleep(Math.min(opts.intervalMs, left));
  }
}
