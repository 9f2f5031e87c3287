// Retention: ILM policies with a delete phase, attached to every APM data stream and the logs stream so the disk never fills.
import type { Client } from '@elastic/elasticsearch';
import { change, type Change } from './change.js';
import { waitForComponentTemplates } from './component-templates.js';
import { isNotFound } from './es-errors.js';
import { fingerprint } from './fingerprint.js';
import type { WaitOptions } from './wait.js';

export const APM_POLICY = 'pillbox-apm';
// Named in elk/heartbeat/heartbeat.yml (setup.ilm.policy_name), which loads Heartbeat's own template.
export const HEARTBEAT_POLICY = 'pillbox-heartbeat';

/**
 * The APM data streams whose index templates (Elasticsearch's apm-data plugin) compose an optional
 * `<dataset>@custom` component template. traces-apm.sampled is left alone: its own lifetime is an hour.
 */
export const APM_DATASETS: readonly string[] = [
  'traces-apm',
  'traces-apm.rum',
  'logs-apm.app',
  'logs-apm.error',
  'metrics-apm.app',
  'metrics-apm.internal',
  ...['service_destination', 'service_summary', 'service_transaction', 'transaction'].flatMap((family) =>
    ['1m', '10m', '60m'].map((interval) => `metrics-apm.${family}.${interval}`),
  ),
];

/** Composed by traces-apm.sampled's own template; it keeps its one-hour lifetime, but needs no replica either. */
export const APM_REPLICA_ONLY_DATASETS: readonly string[] = ['traces-apm.sampled'];

export const APM_STREAM_PATTERNS = ['traces-apm*', 'logs-apm*', 'metrics-apm*'];

export function lifecyclePolicy(deleteAfterDays: number) {
  return {
    phases: {
      // Roll over daily so whole days can be deleted on time, even on a quiet box.
      hot: { actions: { rollover: { max_age: '1d', max_primary_shard_size: '1gb' } } },
      delete: { min_age: `${deleteAfterDays}d`, actions: { delete: {} } },
    },
  };
}

export async function ensurePolicy(client: Client, name: string, deleteAfterDays: number): Promise<Change> {
  const policy = lifecyclePolicy(deleteAfterDays);
  const print = fingerprint(policy);
  let existing: { policy?: { _meta?: Record<string, unknown> } } | undefined;
  try {
    existing = (await client.ilm.getLifecycle({ name }))[name];
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (existing?.policy?._meta?.['pillbox_fingerprint'] === print) return change('unchanged', 'lifecycle policy', name);
  await client.ilm.putLifecycle({ name, policy: { ...policy, _meta: { managed_by: 'pillbox', pillbox_fingerprint: print } } });
  return change(existing ? 'updated' : 'created', 'lifecycle policy', name);
}

// prefer_ilm: the apm-data templates may also carry a data stream lifecycle; ours must win.
const lifecycleSettings = (policyName: string) => ({ index: { lifecycle: { name: policyName, prefer_ilm: true } } });

/**
 * The apm-data templates set no replica count, so Elasticsearch's default of one applies, and a single node can
 * never place it: the cluster would stay yellow forever. Without a policy name only the replica count is set.
 */
export function customTemplate(policyName?: string) {
  const lifecycle = policyName === undefined ? {} : lifecycleSettings(policyName).index;
  return { settings: { index: { number_of_replicas: 0, ...lifecycle } } };
}

export async function ensureCustomTemplate(client: Client, dataset: string, policyName?: string): Promise<Change> {
  const name = `${dataset}@custom`;
  const template = customTemplate(policyName);
  const print = fingerprint(template);
  let meta: Record<string, unknown> | undefined;
  let exists = false;
  try {
    const found = (await client.cluster.getComponentTemplate({ name })).component_templates[0];
    exists = found !== undefined;
    meta = found?.component_template._meta as Record<string, unknown> | undefined;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (meta?.['pillbox_fingerprint'] === print) return change('unchanged', 'component template', name);
  await client.cluster.putComponentTemplate({ name, template, _meta: { managed_by: 'pillbox', pillbox_fingerprint: print } });
  return change(exists ? 'updated' : 'created', 'component template', name);
}

/** Templates only shape new backing indices; point the ones that already exist at the policy too. */
export async function attachPolicyToExistingStreams(client: Client, policyName: string): Promise<Change[]> {
  const { data_streams: streams } = await client.indices.getDataStream({ name: APM_STREAM_PATTERNS.join(','), expand_wildcards: 'all' });
  const changes: Change[] = [];
  for (const stream of streams) {
    if (stream.name.startsWith('traces-apm.sampled-')) continue;
    const attached = stream.indices.every((index) => index.ilm_policy === policyName && index.prefer_ilm === true);
    if (attached) {
      changes.push(change('unchanged', 'data stream policy', stream.name));
      continue;
    }
    await client.indices.putSettings({ index: stream.name, settings: lifecycleSettings(policyName) });
    changes.push(change('updated', 'data stream policy', stream.name));
  }
  return changes;
}

// Container logs (Filebeat): one data stream with its own template, so the writer needs no template privileges.
export const LOGS_POLICY = 'pillbox-logs';
export const LOGS_TEMPLATE = 'pillbox-logs';
/** The box status stream's template: the same shape and retention as the container logs'. */
export const BOX_STATUS_TEMPLATE = 'pillbox-box-status';

/**
 * Elasticsearch's own logs@mappings, logs@settings and ecs@mappings (x-pack template-resources) map the ECS fields
 * the app and Filebeat send; the template's own settings win over theirs: our policy instead of logs@lifecycle, and
 * no replica on one node. Priority above the built-in `logs` template (100, pattern logs-*-*), which also matches.
 * logs@settings turns the failure store on; its indices would sit outside the pillbox-logs policy, so it is off here
 * (documents Elasticsearch cannot index are refused to Filebeat, which logs them, instead of kept).
 */
export function logsIndexTemplate(stream: string, policyName: string) {
  return {
    index_patterns: [stream],
    data_stream: {},
    priority: 200,
    composed_of: ['logs@mappings', 'logs@settings', 'ecs@mappings'],
    template: { ...customTemplate(policyName), data_stream_options: { failure_store: { enabled: false } } },
  };
}

/** `wait` bounds how long the built-in component templates the index template composes may take to appear. */
export async function ensureIndexTemplate(client: Client, name: string, template: ReturnType<typeof logsIndexTemplate>, wait: WaitOptions): Promise<Change> {
  const print = fingerprint(template);
  let meta: Record<string, unknown> | undefined;
  let exists = false;
  try {
    const found = (await client.indices.getIndexTemplate({ name })).index_templates[0];
    exists = found !== undefined;
    meta = found?.index_template._meta as Record<string, unknown> | undefined;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (meta?.['pillbox_fingerprint'] === print) return change('unchanged', 'index template', name);
  await waitForComponentTemplates(client, template.composed_of, wait);
  await client.indices.putIndexTemplate({ name, ...template, _meta: { managed_by: 'pillbox', pillbox_fingerprint: print } });
  return change(exists ? 'updated' : 'created', 'index template', name);
}
