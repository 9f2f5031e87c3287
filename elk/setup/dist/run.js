"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.runElasticsearchPhase = runElasticsearchPhase;
exports.runKibanaPhase = runKibanaPhase;
const elasticsearch_ready_js_1 = require("./elasticsearch-ready.js");
const kibana_js_1 = require("./kibana.js");
const retention_js_1 = require("./retention.js");
const security_js_1 = require("./security.js");
async function runElasticsearchPhase(client, verify, cfg, timing) {
    await (0, elasticsearch_ready_js_1.waitForElasticsearch)(client, cfg.elasticsearchUrl, { timeoutMs: cfg.elasticsearchTimeoutMs, ...timing });
    const changes = [await (0, security_js_1.ensureBuiltinPassword)(client, verify, 'kibana_system', cfg.kibanaSystemPassword)];
    for (const [name, definition] of Object.entries(security_js_1.ROLES))
        changes.push(await (0, security_js_1.ensureRole)(client, name, definition));
    changes.push(await (0, security_js_1.ensureUser)(client, verify, { username: security_js_1.APM_SERVER_USER, password: cfg.apmServerPassword, roles: ['pillbox_apm_server_writer'], fullName: 'APM Server writer' }), await (0, security_js_1.ensureUser)(client, verify, { username: security_js_1.HEARTBEAT_USER, password: cfg.heartbeatPassword, roles: ['pillbox_heartbeat_writer'], fullName: 'Heartbeat writer' }), await (0, retention_js_1.ensurePolicy)(client, retention_js_1.APM_POLICY, cfg.apmRetentionDays), await (0, retention_js_1.ensurePolicy)(client, retention_js_1.HEARTBEAT_POLICY, cfg.heartbeatRetentionDays));
    for (const dataset of retention_js_1.APM_DATASETS)
        changes.push(await (0, retention_js_1.ensureCustomTemplate)(client, dataset, retention_js_1.APM_POLICY));
    changes.push(...(await (0, retention_js_1.attachPolicyToExistingStreams)(client, retention_js_1.APM_POLICY)));
    return changes;
}
async function runKibanaPhase(fetch, cfg, timing) {
    const api = { baseUrl: cfg.kibanaUrl, fetch, username: 'elastic', password: cfg.elasticPassword };
    await (0, kibana_js_1.waitForKibana)(api, { timeoutMs: cfg.kibanaTimeoutMs, ...timing });
    return [...(await (0, kibana_js_1.ensureSettings)(api)), ...(await (0, kibana_js_1.ensureDataViews)(api))];
}
//# sourceMappingURL=run.js.map