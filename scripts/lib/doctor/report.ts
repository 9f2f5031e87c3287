// The doctor's output: one line per check (`✔ name  detail`), the fix under each problem
// (`  → fix`), and a closing count; or the same results as JSON.
import type { CheckResult, CheckStatus } from './check.js';

const MARK: Record<CheckStatus, string> = { ok: '✔', warn: '⚠', fail: '✖', skip: '–' };

export const doctorFailed = (results: readonly CheckResult[]): boolean => results.some((r) => r.status === 'fail');

function tally(results: readonly CheckResult[]): string {
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  const parts = [
    [count('fail'), 'failed'],
    [count('warn'), count('warn') === 1 ? 'warning' : 'warnings'],
    [count('ok'), 'passed'],
    [count('skip'), 'skipped'],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, word]) => `${n} ${word}`)
    .join(', ');
}

export function renderReport(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.flatMap((r) => [`${MARK[r.status]} ${r.name.padEnd(width)}  ${r.detail}`, ...(r.fix ? [`  → ${r.fix}`] : [])]);
  const next = doctorFailed(results)
    ? 'Fix the ✖ lines, then run `npm run doctor` again.'
    : 'Ready: `npm run provision -- --plan` shows what provision would create and what it costs.';
  return `${lines.join('\n')}\n\n${tally(results)}. ${next}\n`;
}

export const doctorJson = (results: readonly CheckResult[]): string => `${JSON.stringify({ ok: !doctorFailed(results), checks: results }, null, 2)}\n`;
