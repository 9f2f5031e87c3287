// The health of each compose service, as `docker compose ps --all` reports it on the box.

import { composeArgv } from './compose.js';

export interface ServiceHealth {
  service: string;
  /** running, exited, restarting, created, paused, dead, removing */
  state: string;
  /** healthy, unhealthy, starting, or '' when the service has no healthcheck */
  health: string;
  exitCode: number;
  /** Host ports the service publishes (the app's public port). */
  publishedPorts: number[];
}

/**
 * One short JSON object per container, with only what the waits and status read. Plain
 * `--format json` prints every label as well, and the Elastic images' labels alone come close
 * to the 24,000 characters one SSM answer holds. The fields are compose's ContainerContext
 * (docker/compose cmd/formatter/container.go; Publishers are api.PortPublisher); `json` is
 * docker's template function (https://docs.docker.com/go/formatting/).
 */
export const PS_TEMPLATE =
  '{"service":{{json .Service}},"state":{{json .State}},"health":{{json .Health}},"exitCode":{{.ExitCode}},"publishers":{{json .Publishers}}}';

/** `--all`, so a crashed or finished one-shot shows up too. */
export const composePsCommand = (): string[] => composeArgv('ps', '--all', '--format', PS_TEMPLATE);

interface PsLine {
  service?: unknown;
  state?: unknown;
  health?: unknown;
  exitCode?: unknown;
  publishers?: { PublishedPort?: unknown }[] | null;
}

/** One object per line; a line that is not one is reported, not guessed at. */
export function parseComposePs(output: string): ServiceHealth[] {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  return lines
    .map((line) => {
      let e: PsLine;
      try {
        e = JSON.parse(line) as PsLine;
      } catch {
        throw new Error(`docker compose ps printed a line that is not JSON: ${JSON.stringify(line.slice(0, 120))}`);
      }
      return {
        service: String(e.service ?? '?'),
        state: String(e.state ?? 'unknown'),
        health: typeof e.health === 'string' ? e.health : '',
        exitCode: typeof e.exitCode === 'number' ? e.exitCode : 0,
        publishedPorts: [...new Set((e.publishers ?? []).map((p) => Number(p.PublishedPort)).filter((port) => port > 0))],
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service));
}

/** One word per service for a table: `healthy`, `running`, `exited(0)`, `unhealthy`, ... */
export function healthWord(s: ServiceHealth): string {
  if (s.state === 'running') return s.health || 'running';
  if (s.state === 'exited') return `exited(${s.exitCode})`;
  return s.state;
}

/** A one-shot job that finished cleanly (the Elastic setup job) is as good as healthy. */
export function isServiceHealthy(s: ServiceHealth): boolean {
  if (s.state === 'running') return s.health === '' || s.health === 'healthy';
  return s.state === 'exited' && s.exitCode === 0;
}
