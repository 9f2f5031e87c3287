"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.APM_STREAM_PATTERNS = exports.APM_DATASETS = exports.HEARTBEAT_POLICY = exports.APM_POLICY = void 0;
exports.lifecyclePolicy = lifecyclePolicy;
exports.ensurePolicy = ensurePolicy;
exports.customTemplate = customTemplate;
exports.ensureCustomTemplate = ensureCustomTemplate;
exports.attachPolicyToExistingStreams = attachPolicyToExistingStreams;
const change_js_1 = require("./change.js");
const es_errors_js_1 = require("./es-errors.js");
const fingerprint_js_1 = require("./fingerprint.js");
exports.APM_POLICY = 'pillbox-apm';
// Named in elk/heartbeat/heartbeat.yml (setup.ilm.policy_name), which loads Heartbeat's own template.
exports.HEARTBEAT_POLICY = 'pillbox-heartbeat';
/**
 * The APM data streams whose index templates (Elasticsearch's apm-data plugin) compose an optional
 * `<dataset>@custom` component template. traces-apm.sampled is left alone: its own lifetime is an hour.
 */
exports.APM_DATASETS = [
    'traces-apm',
    'traces-apm.rum',
    'logs-apm.app',
    'logs-apm.error',
    'metrics-apm.app',
    'metrics-apm.internal',
    ...['service_destination', 'service_summary', 'service_transaction', 'transaction'].flatMap((family) => ['1m', '10m', '60m'].map((interval) => `metrics-apm.${family}.${interval}`)),
];
exports.APM_STREAM_PATTERNS = ['traces-apm*', 'logs-apm*', 'metrics-apm*'];
function lifecyclePolicy(deleteAfterDays) {
    return {
        phases: {
            // Roll over daily so whole days can be deleted on time, even on a quiet box.
            hot: { actions: { rollover: { max_age: '1d', max_primary_shard_size: '1gb' } } },
            delete: { min_age: `${deleteAfterDays}d`, actions: { delete: {} } },
        },
    };
}
async function ensurePolicy(client, name, deleteAfterDays) {
    const policy = lifecyclePolicy(deleteAfterDays);
    const print = (0, fingerprint_js_1.fingerprint)(policy);
    let existing;
    try {
        existing = (await client.ilm.getLifecycle({ name }))[name];
    }
    catch (err) {
        if (!(0, es_errors_js_1.isNotFound)(err))
            throw err;
    }
    if (existing?.policy?._meta?.['pillbox_fingerprint'] === print)
        return (0, change_js_1.change)('unchanged', 'lifecycle policy', name);
    await client.ilm.putLifecycle({ name, policy: { ...policy, _meta: { managed_by: 'pillbox', pillbox_fingerprint: print } } });
    return (0, change_js_1.change)(existing ? 'updated' : 'created', 'lifecycle policy', name);
}
function customTemplate(policyName) {
    // prefer_ilm: the apm-data templates may also carry a data stream lifecycle; ours must win.
    return { settings: { index: { lifecycle: { name: policyName, prefer_ilm: true } } } };
}
async function ensureCustomTemplate(client, dataset, policyName) {
    const name = `${dataset}@custom`;
    const template = customTemplate(policyName);
    const print = (0, fingerprint_js_1.fingerprint)(template);
    let meta;
    let exists = false;
    try {
        const found = (await client.cluster.getComponentTemplate({ name })).component_templates[0];
        exists = found !== undefined;
        meta = found?.component_template._meta;
    }
    catch (err) {
        if (!(0, es_errors_js_1.isNotFound)(err))
            throw err;
    }
    if (meta?.['pillbox_fingerprint'] === print)
        return (0, change_js_1.change)('unchanged', 'component template', name);
    await client.cluster.putComponentTemplate({ name, template, _meta: { managed_by: 'pillbox', pillbox_fingerprint: print } });
    return (0, change_js_1.change)(exists ? 'updated' : 'created', 'component template', name);
}
/** Templates only shape new backing indices; point the ones that already exist at the policy too. */
async function attachPolicyToExistingStreams(client, policyName) {
    const { data_streams: streams } = await client.indices.getDataStream({ name: exports.APM_STREAM_PATTERNS.join(','), expand_wildcards: 'all' });
    const changes = [];
    for (const stream of streams) {
        if (stream.name.startsWith('traces-apm.sampled-'))
            continue;
        const attached = stream.indices.every((index) => index.ilm_policy === policyName && index.prefer_ilm === true);
        if (attached) {
            changes.push((0, change_js_1.change)('unchanged', 'data stream policy', stream.name));
            continue;
        }
        await client.indices.putSettings({ index: stream.name, settings: customTemplate(policyName).settings });
        changes.push((0, change_js_1.change)('updated', 'data stream policy', stream.name));
    }
    return changes;
}
//# sourceMappingURL=retention.js.map