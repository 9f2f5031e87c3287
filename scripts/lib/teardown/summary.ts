// What teardown prints at the end: per environment, what was removed.
import type { Row } from '../core/progress.js';
import type { Step } from '../core/step.js';
import { describeLeftovers, type OrphanVerdict } from './orphans.js';
import type { SweepResult, TeardownResult } from './run.js';

/** Per environment, what was removed; a sweep's environments found by leftovers say what was found, and those kept why. */
export function teardownRows(results: readonly TeardownResult[], failures: SweepResult['failures'] = [], orphans: readonly OrphanVerdict[] = []): Row[] {
  const kept = orphans.filter((o) => o.kept !== undefined);
  if (results.length === 0 && failures.length === 0 && kept.length === 0) return [['Teardown', 'no environment matched']];
  const found = (env: string): string[] => orphans.filter((o) => o.env === env && o.expired).map((o) => `found by tag: ${describeLeftovers(o.leftovers)}`);
  return [
    ...results.map((r): Row => [r.env, [outcome(r), ...dataNotes(r), ...found(r.env)].join('; ')]),
    ...failures.map((f): Row => [f.env, [`FAILED: ${f.reason}`, ...found(f.env)].join('; ')]),
    ...kept.map((o): Row => [o.env, `kept ${describeLeftovers(o.leftovers)}: ${o.kept ?? ''}`]),
  ];
}

function outcome(r: TeardownResult): string {
  if (r.aborted) return 'aborted, nothing removed';
  if (r.absent) return `nothing of "${r.env}" exists here (it never existed, or was removed with its backups); nothing was removed; ${r.absent.others ? `environments here: ${r.absent.others}` : 'no environment exists here'}`;
  return r.removed.length === 0 ? 'already gone: nothing left to remove' : r.removed.map(describeRemoved).join('; ');
}

const dataNotes = (r: TeardownResult): string[] => [
  ...(r.finalBackup ? [`final backup ${r.finalBackup}`] : []),
  ...(r.kept ?? []).map((s) => `kept ${s.resource} ${s.name} (${s.detail})`),
  ...(r.bucket ? [`the bucket ${r.bucket} stays (other environments use it)`] : []),
];

export const describeRemoved = (s: Step): string => `${s.resource} ${s.name}${s.detail ? ` (${s.detail})` : ''}`;

/**
 * What teardown asks before it acts: every group it removes, one a line, and what stays (the bucket is
 * shared by every environment of the account and region, and keeps the backups unless asked).
 */
export function teardownQuestion(env: string, deletes: readonly Step[], bucket: string, { backupFirst, backupsGo }: { backupFirst: boolean; backupsGo: boolean }): string {
  return [
    `Remove ${deletes.length} resource group(s) of environment "${env}"${backupFirst ? ' after a final backup' : ''}:`,
    ...deletes.map((s) => `  - ${describeRemoved(s)}`),
    backupsGo
      ? `The bucket ${bucket} stays (other environments use it); this environment's backups go.`
      : `The bucket ${bucket} stays, with this environment's backups (--delete-backups removes them).`,
    'Go on?',
  ].join('\n');
}
