"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ROLES = exports.HEARTBEAT_USER = exports.APM_SERVER_USER = void 0;
exports.ensureRole = ensureRole;
exports.ensureUser = ensureUser;
exports.ensureBuiltinPassword = ensureBuiltinPassword;
const change_js_1 = require("./change.js");
const es_errors_js_1 = require("./es-errors.js");
const fingerprint_js_1 = require("./fingerprint.js");
// Usernames also appear in elk/apm-server/apm-server.yml and elk/heartbeat/heartbeat.yml.
exports.APM_SERVER_USER = 'pillbox_apm_server';
exports.HEARTBEAT_USER = 'pillbox_heartbeat';
exports.ROLES = {
    // Write APM events into its data streams and read agent central configuration; nothing else.
    pillbox_apm_server_writer: {
        cluster: ['monitor'],
        indices: [
            { names: ['traces-apm*', 'logs-apm*', 'metrics-apm*'], privileges: ['auto_configure', 'create_doc'] },
            { names: ['.apm-agent-configuration'], privileges: ['read'], allow_restricted_indices: true },
        ],
    },
    // Write monitor results; `monitor` also lets its Elasticsearch check read cluster health.
    pillbox_heartbeat_writer: {
        cluster: ['monitor'],
        indices: [{ names: ['heartbeat-*'], privileges: ['auto_configure', 'create_doc'] }],
    },
};
async function ensureRole(client, name, definition) {
    const print = (0, fingerprint_js_1.fingerprint)(definition);
    let existing;
    try {
        existing = (await client.security.getRole({ name }))[name];
    }
    catch (err) {
        if (!(0, es_errors_js_1.isNotFound)(err))
            throw err;
    }
    if (existing?.metadata?.['pillbox_fingerprint'] === print)
        return (0, change_js_1.change)('unchanged', 'role', name);
    await client.security.putRole({ name, ...definition, metadata: { managed_by: 'pillbox', pillbox_fingerprint: print } });
    return (0, change_js_1.change)(existing ? 'updated' : 'created', 'role', name);
}
const sameRoles = (a, b) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
async function ensureUser(client, verify, spec) {
    let existing;
    try {
        existing = (await client.security.getUser({ username: spec.username }))[spec.username];
    }
    catch (err) {
        if (!(0, es_errors_js_1.isNotFound)(err))
            throw err;
    }
    const shapeOk = existing !== undefined && existing.enabled !== false && sameRoles(existing.roles, spec.roles);
    if (shapeOk && (await verify(spec.username, spec.password)))
        return (0, change_js_1.change)('unchanged', 'user', spec.username);
    if (shapeOk) {
        await client.security.changePassword({ username: spec.username, password: spec.password });
        return (0, change_js_1.change)('updated', 'user', spec.username);
    }
    await client.security.putUser({
        username: spec.username,
        password: spec.password,
        roles: spec.roles,
        full_name: spec.fullName,
        enabled: true,
        metadata: { managed_by: 'pillbox' },
    });
    return (0, change_js_1.change)(existing ? 'updated' : 'created', 'user', spec.username);
}
/** Built-in users (kibana_system) exist already; only their password is ours to set. */
async function ensureBuiltinPassword(client, verify, username, password) {
    if (await verify(username, password))
        return (0, change_js_1.change)('unchanged', 'password', username);
    await client.security.changePassword({ username, password });
    return (0, change_js_1.change)('updated', 'password', username);
}
//# sourceMappingURL=security.js.map