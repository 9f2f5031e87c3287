"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.parsePhase = parsePhase;
exports.parseConfig = parseConfig;
// The setup job's settings, parsed once from the environment; nothing below main.ts reads process.env.
const errors_js_1 = require("./errors.js");
const PHASES = ['elasticsearch', 'kibana'];
// Elasticsearch rejects native-realm passwords shorter than this.
const MIN_PASSWORD_LENGTH = 6;
function password(env, name) {
    const value = env[name];
    if (value === undefined || value === '') {
        throw new errors_js_1.SetupError(`${name} is not set.`, `Add ${name} to the secrets env file (see .env.example).`);
    }
    if (value.length < MIN_PASSWORD_LENGTH) {
        throw new errors_js_1.SetupError(`${name} is too short.`, `Use at least ${MIN_PASSWORD_LENGTH} characters (provision generates 32).`);
    }
    return value;
}
function wholeNumber(env, name, fallback, min, max, unit) {
    const raw = env[name];
    if (raw === undefined || raw === '')
        return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
        throw new errors_js_1.SetupError(`${name}=${raw}: expected a whole number of ${unit} from ${min} to ${max}.`, `Fix ${name} or remove it to use ${fallback}.`);
    }
    return Number(raw);
}
function url(env, name, fallback) {
    const raw = env[name] ?? fallback;
    try {
        const parsed = new URL(raw);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
            throw new Error('not http');
    }
    catch {
        throw new errors_js_1.SetupError(`${name}=${raw}: expected an http(s) URL.`, `Fix ${name} or remove it to use ${fallback}.`);
    }
    return raw.replace(/\/+$/, '');
}
function parsePhase(arg) {
    const phase = PHASES.find((p) => p === arg);
    if (!phase) {
        throw new errors_js_1.SetupError(`Unknown phase ${JSON.stringify(arg ?? '')}.`, `Run with one of: ${PHASES.join(', ')}.`);
    }
    return phase;
}
function parseConfig(phase, env) {
    const needsWriters = phase === 'elasticsearch';
    return {
        phase,
        elasticsearchUrl: url(env, 'ELASTICSEARCH_URL', 'http://elasticsearch:9200'),
        kibanaUrl: url(env, 'KIBANA_URL', 'http://kibana:5601'),
        elasticPassword: password(env, 'ELASTIC_PASSWORD'),
        kibanaSystemPassword: needsWriters ? password(env, 'KIBANA_SYSTEM_PASSWORD') : '',
        apmServerPassword: needsWriters ? password(env, 'APM_SERVER_ES_PASSWORD') : '',
        heartbeatPassword: needsWriters ? password(env, 'HEARTBEAT_ES_PASSWORD') : '',
        apmRetentionDays: wholeNumber(env, 'APM_RETENTION_DAYS', 7, 1, 365, 'days'),
        heartbeatRetentionDays: wholeNumber(env, 'HEARTBEAT_RETENTION_DAYS', 7, 1, 365, 'days'),
        elasticsearchTimeoutMs: wholeNumber(env, 'SETUP_ES_TIMEOUT_SECONDS', 180, 1, 3600, 'seconds') * 1000,
        kibanaTimeoutMs: wholeNumber(env, 'SETUP_KIBANA_TIMEOUT_SECONDS', 300, 1, 3600, 'seconds') * 1000,
    };
}
//# sourceMappingURL=config.js.map