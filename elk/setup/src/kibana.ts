// Kibana, through its HTTP API: wait until it serves, then the advanced settings and data views the stack needs.
import { change, type Change } from './change.js';
import { SetupError } from './errors.js';
import { waitUntil, type ProbeResult, type WaitOptions } from './wait.js';

export interface FetchResponse {
  status: number;
  json(): Promise<unknown>;
}
/** The subset of the global fetch this module uses; injected so tests never open a socket. */
export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<FetchResponse>;

export interface KibanaApi {
  baseUrl: string;
  fetch: Fetch;
  username: string;
  password: string;
}

export const SETTINGS: Record<string, unknown> = {
  // Heartbeat's monitors appear in the legacy Uptime app, which Kibana hides unless asked.
  'observability:enableLegacyUptimeApp': true,
};

export const DATA_VIEWS = [
  { id: 'pillbox-apm', name: 'APM (traces, logs, metrics)', title: 'traces-apm*,logs-apm*,metrics-apm*', timeFieldName: '@timestamp' },
  { id: 'pillbox-heartbeat', name: 'Heartbeat (uptime)', title: 'heartbeat-*', timeFieldName: '@timestamp' },
  { id: 'pillbox-logs', name: 'Container logs', title: 'logs-pillbox-*', timeFieldName: '@timestamp' },
] as const;

async function call(api: KibanaApi, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const auth = Buffer.from(`${api.username}:${api.password}`).toString('base64');
  const res = await api.fetch(`${api.baseUrl}${path}`, {
    method,
    headers: { authorization: `Basic ${auth}`, 'kbn-xsrf': 'pillbox-setup', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = await res.json().catch(() => undefined);
  return { status: res.status, body: parsed };
}

function expectOk(what: string, res: { status: number; body: unknown }): void {
  if (res.status < 200 || res.status > 299) {
    throw new SetupError(`Kibana refused to ${what} (HTTP ${res.status}).`, `Check \`docker compose logs kibana\`; response: ${JSON.stringify(res.body).slice(0, 200)}`);
  }
}

export async function waitForKibana(api: KibanaApi, opts: WaitOptions): Promise<void> {
  const probe = async (): Promise<ProbeResult> => {
    try {
      const res = await call(api, 'GET', '/api/status');
      if (res.status === 401) {
        throw new SetupError('Kibana rejected the password of the elastic user.', 'ELASTIC_PASSWORD must match the one Elasticsearch was set up with.');
      }
      const level = (res.body as { status?: { overall?: { level?: string } } } | undefined)?.status?.overall?.level;
      // Degraded still serves (a busy Task Manager on a small box is enough to degrade it); 503 means unavailable.
      const serving = res.status === 200 && (level === 'available' || level === 'degraded');
      return serving ? { ready: true } : { ready: false, reason: `HTTP ${res.status}, status ${level ?? 'unknown'}` };
    } catch (err) {
      if (err instanceof SetupError) throw err;
      return { ready: false, reason: err instanceof Error ? err.message : String(err) };
    }
  };
  const result = await waitUntil(probe, opts);
  if (!result.ready) {
    throw new SetupError(
      `Kibana at ${api.baseUrl} was not serving within ${Math.round(opts.timeoutMs / 1000)}s (last: ${result.reason}).`,
      'Check `docker compose logs kibana`; raise SETUP_KIBANA_TIMEOUT_SECONDS if the box is just slow.',
    );
  }
}

export async function ensureSettings(api: KibanaApi): Promise<Change[]> {
  const current = await call(api, 'GET', '/api/kibana/settings');
  expectOk('list advanced settings', current);
  const values = (current.body as { settings?: Record<string, { userValue?: unknown }> }).settings ?? {};
  const missing = Object.entries(SETTINGS).filter(([key, value]) => values[key]?.userValue !== value);
  if (missing.length > 0) {
    expectOk('save advanced settings', await call(api, 'POST', '/api/kibana/settings', { changes: Object.fromEntries(missing) }));
  }
  return Object.keys(SETTINGS).map((key) => change(missing.some(([k]) => k === key) ? 'updated' : 'unchanged', 'kibana setting', key));
}

export async function ensureDataViews(api: KibanaApi): Promise<Change[]> {
  const changes: Change[] = [];
  for (const view of DATA_VIEWS) {
    const { id, ...wanted } = view;
    const found = await call(api, 'GET', `/api/data_views/data_view/${id}`);
    if (found.status === 404) {
      expectOk(`create data view ${id}`, await call(api, 'POST', '/api/data_views/data_view', { data_view: view, override: false }));
      changes.push(change('created', 'data view', id));
      continue;
    }
    expectOk(`read data view ${id}`, found);
    const current = (found.body as { data_view?: Record<string, unknown> }).data_view ?? {};
    const same = Object.entries(wanted).every(([k, v]) => current[k] === v);
    if (!same) expectOk(`update data view ${id}`, await call(api, 'POST', `/api/data_views/data_view/${id}`, { data_view: wanted }));
    changes.push(change(same ? 'unchanged' : 'updated', 'data view', id));
  }
  return changes;
}
