// What provision and teardown print at the end: the summary table rows.
import { formatStep, isMutating, type Step } from './plan.js';
import { usd } from './pricing.js';
import type { Row } from './progress.js';
import type { ProvisionResult } from './provision-run.js';
import type { TeardownResult } from './teardown-run.js';

const envFlag = (env: string) => `-- --env ${env}`;

export function provisionRows(r: ProvisionResult): Row[] {
  const rows: Row[] = [
    ['Environment', `${r.env} (${r.region}, account ${r.account})`],
    ['Instance', r.instanceId ? `${r.instanceId} (${r.instanceType})` : `new ${r.instanceType}`],
    ['Commit', r.gitSha],
  ];
  if (r.appUrl) rows.push(['App', r.appUrl]);
  rows.push(
    ['Kibana', `npm run kibana ${envFlag(r.env)}  → http://localhost:5601`],
    ['Shell', `npm run session ${envFlag(r.env)}`],
    ['Expires at', `${r.expiresAt} (the box removes itself; \`npm run extend\` moves it)`],
    ['Cost so far', usd(r.costSoFarUsd)],
    ['Cost', `${usd(r.hourlyUsd)}/hour, ${usd(r.ttlUsd)} for the full TTL (on-demand estimate)`],
  );
  if (!r.planned && !r.waited) rows.push(['Status', 'launched; not waited for (`npm run status` shows progress)']);
  return rows;
}

/** `--plan`: every resource with what would happen to it, then the cost. */
export function planText(r: ProvisionResult): string {
  const changes = r.steps.filter(isMutating).length;
  return [
    `Plan for ${r.env} in ${r.region} (${changes === 0 ? 'nothing to change' : `${changes} change(s)`}); nothing was changed:`,
    ...r.steps.map((s) => `  ${formatStep(s)}`),
    '',
  ].join('\n');
}

export function teardownRows(results: readonly TeardownResult[]): Row[] {
  if (results.length === 0) return [['Teardown', 'no environment matched']];
  return results.map((r): Row => [r.env, r.aborted ? 'aborted, nothing removed' : r.removed.length === 0 ? 'nothing left to remove' : r.removed.map(describeRemoved).join('; ')]);
}

const describeRemoved = (s: Step): string => `${s.resource} ${s.name}${s.detail ? ` (${s.detail})` : ''}`;
