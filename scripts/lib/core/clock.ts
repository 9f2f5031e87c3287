// Time for the waits, injected so tests run them on a fake clock.

export interface Clock {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const systemClock: Clock = { sleep: defaultSleep, now: Date.now };
