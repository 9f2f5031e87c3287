// `npm run backups`: the backups in the project bucket, newest first, one line each.
import type { BackupEntry } from '../aws/backup-catalog.js';
import { formatBytes } from '../core/storage-cost.js';
import { formatDuration, formatUtc } from '../core/time.js';

export interface BackupRow {
  env: string;
  time: string;
  bytes: number;
  ageMs: number;
  key: string;
  complete: boolean;
  /** The one `--from latest` picks for its environment. */
  latest: boolean;
}

export function backupRows(entries: readonly BackupEntry[], now: Date): BackupRow[] {
  const latest = new Set<string>();
  return entries.map((e) => {
    const isLatest = e.complete && !latest.has(e.env);
    if (isLatest) latest.add(e.env);
    return { env: e.env, time: e.at.toISOString(), bytes: e.bytes, ageMs: now.getTime() - e.at.getTime(), key: e.key, complete: e.complete, latest: isLatest };
  });
}

export function renderBackups(rows: readonly BackupRow[], bucket: string, env?: string): string {
  if (rows.length === 0) return `No backups${env ? ` of ${env}` : ''} in s3://${bucket}/. \`npm run backup\` takes one; every box also takes one nightly.\n`;
  const table = [
    ['ENV', 'TIME', 'SIZE', 'AGE', 'KEY', ''],
    ...rows.map((r) => [r.env, formatUtc(new Date(r.time)), formatBytes(r.bytes), formatDuration(r.ageMs), r.key, r.latest ? 'latest' : r.complete ? '' : 'incomplete: its upload never finished'] as string[]),
  ];
  const widths = table[0]!.map((_, col) => Math.max(...table.map((line) => line[col]!.length)));
  const lines = table.map((line) => line.map((cell, col) => (col === line.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ').trimEnd());
  return `Backups in s3://${bucket}/ (${rows.length})\n${lines.join('\n')}\n`;
}
