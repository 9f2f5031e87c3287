// The containers' logs on a fake box, answering `docker compose logs` as compose prints them: one
// `<service>-1  | ` prefix per line, in time order, the last --tail lines of each container, only
// lines from --since on (a Go duration back from the box's clock, or an RFC 3339 time to the
// nanosecond), each stamped with Docker's receive time under --timestamps; an unknown service
// fails as compose does.
import type { World } from './fake-aws.js';

export interface LogLine {
  service: string;
  /** When Docker received it, in fake-clock milliseconds. */
  at: number;
  text: string;
}

const NS_PER_MS = 1_000_000n;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `--since` in nanoseconds since the epoch. */
function sinceNs(since: string, now: number): bigint {
  const time = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(since);
  if (time) return BigInt(Date.parse(`${time[1]}Z`)) * NS_PER_MS + BigInt((time[2] ?? '').padEnd(9, '0'));
  const back = [...since.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * (UNIT_MS[unit ?? ''] ?? 0), 0);
  return BigInt(now - back) * NS_PER_MS;
}

/** Makes every box of `world` answer `docker compose logs` from `lines` for `services` (both of which a test may change); returns each logs command line received. */
export function logBox(world: World, lines: LogLine[], services: string[] = ['app', 'caddy', 'elasticsearch', 'kibana', 'postgres']): string[] {
  const received: string[] = [];
  world.boxAnswers = [
    ...(world.boxAnswers ?? []),
    (_instance, line) => {
      const at = line.indexOf(' logs ');
      if (!line.startsWith('docker compose ') || at < 0) return undefined;
      received.push(line);
      const words = line.slice(at + 6).split(' ').map((w) => w.replace(/^'|'$/g, ''));
      const option = (name: string) => (words.includes(name) ? words[words.indexOf(name) + 1] : undefined);
      const service = words.at(-1) && !words.at(-1)!.startsWith('-') && words.at(-2) !== '--tail' && words.at(-2) !== '--since' ? words.at(-1) : undefined;
      if (service && !services.includes(service)) return { exitCode: 1, stderr: `no such service: ${service}\n` };
      const tail = option('--tail') ?? 'all';
      const since = option('--since');
      const from = since === undefined ? undefined : sinceNs(since, world.clock.now());
      const shown = services
        .filter((s) => !service || s === service)
        .flatMap((s) => {
          const own = lines.filter((l) => l.service === s);
          return tail === 'all' ? own : own.slice(-Number(tail));
        })
        .filter((l) => from === undefined || BigInt(l.at) * NS_PER_MS >= from)
        .sort((a, b) => a.at - b.at);
      const stamp = (l: LogLine) => (words.includes('--timestamps') ? `${new Date(l.at).toISOString().replace('Z', '000000Z')} ` : '');
      return { stdout: shown.map((l) => `${l.service}-1  | ${stamp(l)}${l.text}\n`).join('') };
    },
  ];
  return received;
}
