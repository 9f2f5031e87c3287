"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.DATA_VIEWS = exports.SETTINGS = void 0;
exports.waitForKibana = waitForKibana;
exports.ensureSettings = ensureSettings;
exports.ensureDataViews = ensureDataViews;
// Kibana, through its HTTP API: wait until it serves, then the advanced settings and data views the stack needs.
const change_js_1 = require("./change.js");
const errors_js_1 = require("./errors.js");
const wait_js_1 = require("./wait.js");
exports.SETTINGS = {
    // Heartbeat's monitors appear in the legacy Uptime app, which Kibana hides unless asked.
    'observability:enableLegacyUptimeApp': true,
};
exports.DATA_VIEWS = [
    { id: 'pillbox-apm', name: 'APM (traces, logs, metrics)', title: 'traces-apm*,logs-apm*,metrics-apm*', timeFieldName: '@timestamp' },
    { id: 'pillbox-heartbeat', name: 'Heartbeat (uptime)', title: 'heartbeat-*', timeFieldName: '@timestamp' },
];
async function call(api, method, path, body) {
    const auth = Buffer.from(`${api.username}:${api.password}`).toString('base64');
    const res = await api.fetch(`${api.baseUrl}${path}`, {
        method,
        headers: { authorization: `Basic ${auth}`, 'kbn-xsrf': 'pillbox-setup', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = await res.json().catch(() => undefined);
    return { status: res.status, body: parsed };
}
function expectOk(what, res) {
    if (res.status < 200 || res.status > 299) {
        throw new errors_js_1.SetupError(`Kibana refused to ${what} (HTTP ${res.status}).`, `Check \`docker compose logs kibana\`; response: ${JSON.stringify(res.body).slice(0, 200)}`);
    }
}
async function waitForKibana(api, opts) {
    const probe = async () => {
        try {
            const res = await call(api, 'GET', '/api/status');
            if (res.status === 401) {
                throw new errors_js_1.SetupError('Kibana rejected the password of the elastic user.', 'ELASTIC_PASSWORD must match the one Elasticsearch was set up with.');
            }
            const level = res.body?.status?.overall?.level;
            return res.status === 200 && level === 'available' ? { ready: true } : { ready: false, reason: `HTTP ${res.status}, status ${level ?? 'unknown'}` };
        }
        catch (err) {
            if (err instanceof errors_js_1.SetupError)
                throw err;
            return { ready: false, reason: err instanceof Error ? err.message : String(err) };
        }
    };
    const result = await (0, wait_js_1.waitUntil)(probe, opts);
    if (!result.ready) {
        throw new errors_js_1.SetupError(`Kibana at ${api.baseUrl} was not available within ${Math.round(opts.timeoutMs / 1000)}s (last: ${result.reason}).`, 'Check `docker compose logs kibana`; raise SETUP_KIBANA_TIMEOUT_SECONDS if the box is just slow.');
    }
}
async function ensureSettings(api) {
    const current = await call(api, 'GET', '/api/kibana/settings');
    expectOk('list advanced settings', current);
    const values = current.body.settings ?? {};
    const missing = Object.entries(exports.SETTINGS).filter(([key, value]) => values[key]?.userValue !== value);
    if (missing.length > 0) {
        expectOk('save advanced settings', await call(api, 'POST', '/api/kibana/settings', { changes: Object.fromEntries(missing) }));
    }
    return Object.keys(exports.SETTINGS).map((key) => (0, change_js_1.change)(missing.some(([k]) => k === key) ? 'updated' : 'unchanged', 'kibana setting', key));
}
async function ensureDataViews(api) {
    const changes = [];
    for (const view of exports.DATA_VIEWS) {
        const { id, ...wanted } = view;
        const found = await call(api, 'GET', `/api/data_views/data_view/${id}`);
        if (found.status === 404) {
            expectOk(`create data view ${id}`, await call(api, 'POST', '/api/data_views/data_view', { data_view: view, override: false }));
            changes.push((0, change_js_1.change)('created', 'data view', id));
            continue;
        }
        expectOk(`read data view ${id}`, found);
        const current = found.body.data_view ?? {};
        const same = Object.entries(wanted).every(([k, v]) => current[k] === v);
        if (!same)
            expectOk(`update data view ${id}`, await call(api, 'POST', `/api/data_views/data_view/${id}`, { data_view: wanted }));
        changes.push((0, change_js_1.change)(same ? 'unchanged' : 'updated', 'data view', id));
    }
    return changes;
}
//# sourceMappingURL=kibana.js.map