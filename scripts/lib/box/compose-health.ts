// The health of each compose service, as `docker compose ps --all --format json` reports it on the box.

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

interface PsEntry {
  Service?: unknown;
  State?: unknown;
  Health?: unknown;
  ExitCode?: unknown;
  Publishers?: { PublishedPort?: unknown }[] | null;
}

export const composePsCommand = (): string[] => composeArgv('ps', '--all', '--format', 'json');

/**
 * Compose v2.21+ prints one JSON object per line; older v2 releases print one array.
 * Both are accepted; anything else is reported, not guessed at.
 */
export function parseComposePs(output: string): ServiceHealth[] {
  const text = output.trim();
  if (text === '') return [];
  let entries: PsEntry[];
  try {
    entries = text.startsWith('[') ? (JSON.parse(text) as PsEntry[]) : text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as PsEntry);
  } catch {
    throw new Error(`docker compose ps printed something other than JSON: ${JSON.stringify(text.slice(0, 120))}`);
  }
  return entries
    .map((e) => ({
      service: String(e.Service ?? '?'),
      state: String(e.State ?? 'unknown'),
      health: typeof e.Health === 'string' ? e.Health : '',
      exitCode: typeof e.ExitCode === 'number' ? e.ExitCode : 0,
      publishedPorts: [...new Set((e.Publishers ?? []).map((p) => Number(p.PublishedPort)).filter((port) => port > 0))],
    }))
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
