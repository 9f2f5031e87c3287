// What teardown prints at the end: per environment, what was removed.
import type { Row } from '../core/progress.js';
import type { Step } from '../core/step.js';
import type { SweepResult, TeardownResult } from './run.js';

export function teardownRows(results: readonly TeardownResult[], failures: SweepResult['failures'] = []): Row[] {
  if (results.length === 0 && failures.length === 0) return [['Teardown', 'no environment matched']];
  return [
    ...results.map((r): Row => [r.env, [outcome(r), ...dataNotes(r)].join('; ')]),
    ...failures.map((f): Row => [f.env, `FAILED: ${f.reason}`]),
  ];
}

function outcome(r: TeardownResult): string {
  if (r.aborted) return 'aborted, nothing removed';
  if (r.absent) return `nothing of it exists (never created, or already removed with its backups)${r.absent.others ? `; environments here: ${r.absent.others}` : ''}`;
  return r.removed.length === 0 ? 'nothing left to remove' : r.removed.map(describeRemoved).join('; ');
}

const dataNotes = (r: TeardownResult): string[] => [...(r.finalBackup ? [`final backup ${r.finalBackup}`] : []), ...(r.kept ?? []).map((s) => `kept ${s.resource} ${s.name} (${s.detail})`)];

const describeRemoved = (s: Step): string => `${s.resource} ${s.name}${s.detail ? ` (${s.detail})` : ''}`;
