// What teardown prints at the end: per environment, what was removed.
import type { Row } from '../core/progress.js';
import type { Step } from '../core/step.js';
import type { SweepResult, TeardownResult } from './run.js';

export function teardownRows(results: readonly TeardownResult[], failures: SweepResult['failures'] = []): Row[] {
  if (results.length === 0 && failures.length === 0) return [['Teardown', 'no environment matched']];
  return [
    ...results.map((r): Row => [r.env, [r.aborted ? 'aborted, nothing removed' : r.removed.length === 0 ? 'nothing left to remove' : r.removed.map(describeRemoved).join('; '), ...dataNotes(r)].join('; ')]),
    ...failures.map((f): Row => [f.env, `FAILED: ${f.reason}`]),
  ];
}

const dataNotes = (r: TeardownResult): string[] => [...(r.finalBackup ? [`final backup ${r.finalBackup}`] : []), ...(r.kept ?? []).map((s) => `kept ${s.resource} ${s.name} (${s.detail})`)];

const describeRemoved = (s: Step): string => `${s.resource} ${s.name}${s.detail ? ` (${s.detail})` : ''}`;
