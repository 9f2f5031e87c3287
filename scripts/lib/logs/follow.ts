// `npm run logs -- --follow`: keeps printing new lines by asking the box again every few
// seconds for the lines since the newest one seen.
//
// Why polls and not `docker compose logs -f` in a Session Manager session: polls reuse
// what `logs` already does (Run Command, the paged reader), need only Node on the
// operator's machine and no session document in the operator's policy, and print plain
// lines that pipe into jq or grep (a session goes through a pseudo-terminal). The price:
// new lines arrive a few seconds late, and each poll is one Run Command invocation.
//
// The position is the box's own clock: with --timestamps the Docker daemon prefixes each
// line with the time it received it (RFC 3339, nanoseconds; moby's WriteLogStream), after
// compose's `name | ` prefix (docker/compose cmd/formatter/logs.go). Each poll starts a
// little before the newest line seen, so a line another container wrote with a slightly
// older time is not lost, and lines already printed are dropped by their exact text.
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { RemoteRunner } from '../box/ssm-output.js';
import type { LogsRequest } from './plan.js';
import { fetchLogs } from './run.js';

export const FOLLOW_INTERVAL_MS = 5_000;
/** How far before the newest line seen each poll starts again. */
export const OVERLAP_NS = 2_000_000_000n;

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

// `app-1  | 2026-11-22T12:14:03.117234567Z {"message":"..."}`; an empty line leaves no text after the time.
const STAMPED = /^(\S+ *\| )(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) ?(.*)$/s;

export interface StampedLine {
  /** The line as `npm run logs` prints it: compose's prefix and the message, no timestamp. */
  shown: string;
  /** When Docker received it, in nanoseconds since the epoch. */
  at: bigint;
}

export function parseStampedLine(raw: string): StampedLine | undefined {
  const m = STAMPED.exec(raw);
  if (!m) return undefined;
  const [, prefix = '', seconds = '', fraction = '', zone = '', message = ''] = m;
  const ms = Date.parse(`${seconds}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return { shown: `${prefix}${message}`, at: BigInt(ms) * NS_PER_MS + BigInt(fraction.padEnd(9, '0')) };
}

/** Nanoseconds since the epoch as the RFC 3339 time `--since` takes (moby's GetTimestamp parses it to the nanosecond). */
export function formatNanos(at: bigint): string {
  const seconds = at / NS_PER_S;
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${String(at % NS_PER_S).padStart(9, '0')}Z`;
}

export interface FollowWindow {
  since?: string;
  tail: string;
  /** Lines printed whose time is still inside the next poll's window, by their exact text. */
  printed: ReadonlyMap<string, bigint>;
}

/** The first poll is the operator's own request (their --tail and --since). */
export const firstWindow = (request: LogsRequest): FollowWindow => ({ since: request.since, tail: request.tail, printed: new Map() });

/** Pure: which lines of one poll's output are new, and where the next poll starts. */
export function advance(window: FollowWindow, output: string): { fresh: string[]; next: FollowWindow } {
  const fresh: string[] = [];
  const printed = new Map(window.printed);
  let newest: bigint | undefined;
  for (const raw of output.split('\n')) {
    if (raw === '') continue;
    const line = parseStampedLine(raw);
    // compose prints only container lines here; anything else is shown as it came.
    if (!line) {
      fresh.push(raw);
      continue;
    }
    if (newest === undefined || line.at > newest) newest = line.at;
    if (printed.has(raw)) continue;
    printed.set(raw, line.at);
    fresh.push(line.shown);
  }
  for (const at of window.printed.values()) if (newest === undefined || at > newest) newest = at;
  if (newest === undefined) {
    // Nothing logged yet: every line that appears is new, so the next poll takes them all.
    return { fresh, next: { since: window.since, tail: 'all', printed } };
  }
  const start = newest - OVERLAP_NS;
  for (const [raw, at] of printed) if (at < start) printed.delete(raw);
  return { fresh, next: { since: formatNanos(start), tail: 'all', printed } };
}

export interface FollowDeps {
  run: RemoteRunner;
  print: (text: string) => void;
  /** Hex ids for the output files on the box, one per poll. */
  newId: () => string;
  /** Ends the loop (Ctrl-C); a poll under way still finishes and prints. */
  signal: AbortSignal;
  /** Waits between polls, returning early when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  intervalMs?: number;
}

const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> => sleepFor(ms, undefined, { signal }).catch(() => undefined);

/** Prints the requested lines, then new ones every few seconds until the signal aborts. */
export async function followLogs({ run, print, newId, signal, sleep = abortableSleep, intervalMs = FOLLOW_INTERVAL_MS }: FollowDeps, request: LogsRequest): Promise<void> {
  let window = firstWindow(request);
  while (!signal.aborted) {
    const output = await fetchLogs(run, { service: request.service, tail: window.tail, since: window.since, timestamps: true }, newId());
    const { fresh, next } = advance(window, output);
    if (fresh.length > 0) print(`${fresh.join('\n')}\n`);
    window = next;
    if (!signal.aborted) await sleep(intervalMs, signal);
  }
}
