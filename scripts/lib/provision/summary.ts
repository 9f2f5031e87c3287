// What provision prints at the end: the summary table rows, or the plan with --plan.
import { ELASTIC_IP_HOURLY_USD } from '../aws/elastic-ip.js';
import { formatRowCounts } from '../box/postgres-commands.js';
import { LOGS_MIN_MEMORY_GIB } from '../box/stack-profiles.js';
import { usd } from '../core/pricing.js';
import type { Row } from '../core/progress.js';
import { formatStep, isMutating } from '../core/step.js';
import { formatBytes, S3_STANDARD_USD_PER_GB_MONTH } from '../core/storage-cost.js';
import type { ProvisionResult } from './run.js';

const envFlag = (env: string) => `-- --env ${env}`;

export function provisionRows(r: ProvisionResult): Row[] {
  const rows: Row[] = [
    ['Environment', `${r.env} (${r.region}, account ${r.account})`],
    // What the box has (a kept one, after this run's in-place changes) or gets (a new one).
    ['Instance', `${r.instanceId ?? 'new'} (${r.instanceType}, ${r.volumeGb === undefined ? 'root volume not reported yet' : `${r.volumeGb} GiB`})`],
    ['Allowed CIDR', r.allowedCidr],
    ['Commit', `${r.gitSha} (s3://${r.storage.bucket}/${r.source.key}, ${formatBytes(r.source.bytes)})`],
  ];
  if (r.changes.length > 0) rows.push(['Changed', r.changes.map((c) => `${c.setting} ${c.from} → ${c.to} (${c.effect})`).join('; ')]);
  if (r.backedUp) rows.push(['Backed up', `${r.backedUp} (the replaced box's data)`]);
  if (r.restored) rows.push(['Restored', `${r.restored.key}: ${formatRowCounts(r.restored.rows)}`]);
  if (r.appUrl) rows.push(['App', r.appUrl]);
  if (r.edge) rows.push(['Edge', 'error' in r.edge ? `could not be read (${r.edge.error}); \`npm run status\` tries again` : r.edge.summary]);
  if (r.domain) {
    const target = r.elasticIp ?? r.publicIp;
    rows.push(['DNS', target ? `create or check the record: ${r.domain}. A ${target} (Let's Encrypt validates through it)` : `${r.domain}: its A record must point at the Elastic IP, once allocated`]);
  }
  // A domain always has one (allocated by this run if it did not exist).
  if (r.domain || r.elasticIp) {
    rows.push(['Elastic IP', `${r.elasticIp ?? 'allocated by the run'}: ${usd(ELASTIC_IP_HOURLY_USD)}/hour until \`npm run teardown\` releases it, also after the instance terminates itself`]);
  }
  rows.push(
    ['Kibana', `npm run kibana ${envFlag(r.env)}  → http://localhost:5601`],
    ['Shell', `npm run session ${envFlag(r.env)}`],
    ['Expires at', `${r.expiresAt} (the box removes itself; \`npm run extend\` moves it)`],
    ['Cost so far', usd(r.costSoFarUsd)],
    ['Cost', `${usd(r.hourlyUsd)}/hour, ${usd(r.ttlUsd)} for the full TTL (on-demand estimate with the volume and public IPv4)`],
    ['Storage', storageLine(r.storage)],
  );
  if (r.creditCeiling) rows.push(['CPU credits', creditsText(r.creditCeiling)]);
  rows.push(['Logs', logsText(r.containerLogs)]);
  rows.push(['Alerts', alertsText(r)]);
  rows.push(['Time budget', r.budget]);
  if (r.replaced) rows.push(['Replaced', `${r.replaced} (terminated once the new box was healthy${r.restored ? ' and seeded' : ''})`]);
  if (!r.planned && !r.waited) rows.push(['Status', 'launched; not waited for (`npm run status` shows progress)']);
  return rows;
}

/** Filebeat runs on 8 GiB types only (box/stack-profiles.ts): say so, with what the type that runs it costs. */
function logsText(logs: ProvisionResult['containerLogs']): string {
  if (!logs.fullSet) return 'container logs shipped to Elasticsearch by Filebeat (Kibana: Discover, data view "Container logs")';
  const { instanceType, hourlyUsd, ttlUsd } = logs.fullSet;
  return `container logs not shipped: Filebeat needs ${LOGS_MIN_MEMORY_GIB} GiB; --instance-type ${instanceType} runs it for ${usd(hourlyUsd)}/hour, ${usd(ttlUsd)} for the full TTL`;
}

/** The alert engine runs on every box; without a stored destination its alerts wait, so say how to set one. */
function alertsText(r: ProvisionResult): string {
  const command = `npm run alerts ${envFlag(r.env)}`;
  if (!r.alertDestination) return `no destination set: alerts wait (retried for two days) until \`${command} --webhook https://…\``;
  // A test alert needs the engine running: not after --plan or --no-wait.
  return r.waited && !r.planned ? `sent to the stored destination; \`${command} --test\` sends a test alert` : 'sent to the stored destination';
}

/** Unlimited for the box's whole life: the ceiling is what surplus could add at 100% CPU until the expiry. */
function creditsText(ceiling: NonNullable<ProvisionResult['creditCeiling']>): string {
  return `unlimited for the box's life; worst case: +${usd(ceiling.hourlyUsd)}/h, ${usd(ceiling.ttlUsd)} over the TTL`;
}

/** `--plan`: every resource with what would happen to it, then the cost. */
export function planText(r: ProvisionResult): string {
  const changes = r.steps.filter(isMutating).length;
  return [
    `Plan for ${r.env} in ${r.region} (${changes === 0 ? 'nothing to change' : `${changes} change(s)`}); nothing was changed:`,
    ...r.steps.map((s) => `  ${formatStep(s)}`),
    ...(r.refused ? [`Without --replace provision stops here: ${r.refused.message}`, `  → ${r.refused.hint}`] : []),
    '',
  ].join('\n');
}

function storageLine(s: ProvisionResult['storage']): string {
  const backups = s.dumpBytes === undefined ? 'no backup yet to size the nightly ones by' : `nightly backups of ~${formatBytes(s.dumpBytes)}`;
  return `~${formatBytes(s.keptBytes)} kept in s3://${s.bucket}/, ${usd(s.monthlyUsd)}/month at $${S3_STANDARD_USD_PER_GB_MONTH}/GB-month (${backups}, kept ${s.retentionDays} days; the bucket itself is free)`;
}
