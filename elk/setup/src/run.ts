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
  attachPolicyToExistingStreams,
  ensureCustomTemplate,
  ensureIndexTemplate,
  ensurePolicy,
  logsIndexTemplate,
} from './retention.js';
import { APM_SERVER_USER, FILEBEAT_USER, HEARTBEAT_USER, LOGS_STREAM, ROLES, ensureBuiltinPassword, ensureRole, ensureUser, type VerifyPassword } from './security.js';

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
    cfg.filebeatPassword === ''
      ? skipped('user', FILEBEAT_USER, 'FILEBEAT_ES_PASSWORD is not set: no container logs until the box\'s secrets hold it')
      : await ensureUser(client, verify, { username: FILEBEAT_USER, password: cfg.filebeatPassword, roles: ['pillbox_filebeat_writer'], fullName: 'Filebeat writer' }),
    await ensurePolicy(client, APM_POLICY, cfg.apmRetentionDays),
    await ensurePolicy(client, HEARTBEAT_POLICY, cfg.heartbeatRetentionDays),
    await ensurePolicy(client, LOGS_POLICY, cfg.logsRetentionDays),
    await ensureIndexTemplate(client, LOGS_TEMPLATE, logsIndexTemplate(LOGS_STREAM, LOGS_POLICY), wait),
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
