// The two phases of the setup job, in order. Every step converges, so a rerun only completes what is missing.
import type { Client } from '@elastic/elasticsearch';
import { skipped, type Change } from './change.js';
import type { SetupConfig } from './config.js';
import { waitForElasticsearch } from './elasticsearch-ready.js';
import { ensureDataViews, ensureSettings, waitForKibana, type Fetch } from './kibana.js';
import { dropReplicas } from './replicas.js';
import {
  APM_DATASETS,
  APM_POLICY,
  APM_REPLICA_ONLY_DATASETS,
  HEARTBEAT_POLICY,
  LOGS_POLICY,
  LOGS_TEMPLATE,
  BOX_STATUS_TEMPLATE,
  attachPolicyToExistingStreams,
  ensureCustomTemplate,
  ensureIndexTemplate,
  ensurePolicy,
  logsIndexTemplate,
} from './retention.js';
import {
  APM_SERVER_USER,
  BOX_STATUS_STREAM,
  BOX_STATUS_USER,
  ELASTALERT_USER,
  FILEBEAT_USER,
  HEARTBEAT_USER,
  LOGS_STREAM,
  ROLES,
  ensureBuiltinPassword,
  ensureRole,
  ensureUser,
  type UserSpec,
  type VerifyPassword,
} from './security.js';

/** A user whose secret arrived after boxes were provisioned: skipped, saying what it costs, until the secret exists. */
async function ensureOptionalUser(client: Client, verify: VerifyPassword, spec: UserSpec, secret: string, without: string): Promise<Change> {
  if (spec.password === '') return skipped('user', spec.username, `${secret} is not set: ${without} until the box's secrets hold it`);
  return ensureUser(client, verify, spec);
}

export interface Timing {
  intervalMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export async function runElasticsearchPhase(client: Client, verify: VerifyPassword, cfg: SetupConfig, timing: Timing): Promise<Change[]> {
  const wait = { timeoutMs: cfg.elasticsearchTimeoutMs, ...timing };
  await waitForElasticsearch(client, cfg.elasticsearchUrl, wait);
  const changes: Change[] = [await ensureBuiltinPassword(client, verify, 'kibana_system', cfg.kibanaSystemPassword)];
  for (const [name, definition] of Object.entries(ROLES)) changes.push(await ensureRole(client, name, definition));
  changes.push(
    await ensureUser(client, verify, { username: APM_SERVER_USER, password: cfg.apmServerPassword, roles: ['pillbox_apm_server_writer'], fullName: 'APM Server writer' }),
    await ensureUser(client, verify, { username: HEARTBEAT_USER, password: cfg.heartbeatPassword, roles: ['pillbox_heartbeat_writer'], fullName: 'Heartbeat writer' }),
    await ensureOptionalUser(client, verify, { username: FILEBEAT_USER, password: cfg.filebeatPassword, roles: ['pillbox_filebeat_writer'], fullName: 'Filebeat writer' }, 'FILEBEAT_ES_PASSWORD', 'no container logs'),
    await ensureOptionalUser(client, verify, { username: ELASTALERT_USER, password: cfg.elastalertPassword, roles: ['pillbox_elastalert_reader'], fullName: 'ElastAlert2 reader' }, 'ELASTALERT_ES_PASSWORD', 'no alerts'),
    await ensureOptionalUser(client, verify, { username: BOX_STATUS_USER, password: cfg.boxStatusPassword, roles: ['pillbox_box_status_writer'], fullName: 'Box status writer' }, 'BOX_STATUS_ES_PASSWORD', 'no disk or restart alerts'),
    await ensurePolicy(client, APM_POLICY, cfg.apmRetentionDays),
    await ensurePolicy(client, HEARTBEAT_POLICY, cfg.heartbeatRetentionDays),
    await ensurePolicy(client, LOGS_POLICY, cfg.logsRetentionDays),
    await ensureIndexTemplate(client, LOGS_TEMPLATE, logsIndexTemplate(LOGS_STREAM, LOGS_POLICY), wait),
    await ensureIndexTemplate(client, BOX_STATUS_TEMPLATE, logsIndexTemplate(BOX_STATUS_STREAM, LOGS_POLICY), wait),
  );
  for (const dataset of APM_DATASETS) changes.push(await ensureCustomTemplate(client, dataset, APM_POLICY));
  for (const dataset of APM_REPLICA_ONLY_DATASETS) changes.push(await ensureCustomTemplate(client, dataset));
  changes.push(...(await attachPolicyToExistingStreams(client, APM_POLICY)));
  changes.push(...(await dropReplicas(client)));
  return changes;
}

export async function runKibanaPhase(fetch: Fetch, cfg: SetupConfig, timing: Timing): Promise<Change[]> {
  const api = { baseUrl: cfg.kibanaUrl, fetch, username: 'elastic', password: cfg.elasticPassword };
  await waitForKibana(api, { timeoutMs: cfg.kibanaTimeoutMs, ...timing });
  return [...(await ensureSettings(api)), ...(await ensureDataViews(api))];
}
