"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
// Entry point of the one-shot setup job: `node dist/main.js elasticsearch|kibana`. Thin on purpose.
const elasticsearch_1 = require("@elastic/elasticsearch");
const change_js_1 = require("./change.js");
const config_js_1 = require("./config.js");
const errors_js_1 = require("./errors.js");
const es_errors_js_1 = require("./es-errors.js");
const run_js_1 = require("./run.js");
const REQUEST_TIMEOUT_MS = 10_000;
function clientFor(node, username, password) {
    // No client-side retries: the bounded wait loop decides how long to keep trying.
    return new elasticsearch_1.Client({ node, auth: { username, password }, maxRetries: 0, requestTimeout: REQUEST_TIMEOUT_MS });
}
function report(changes) {
    for (const c of changes)
        console.log(`${c.action === 'unchanged' ? '·' : '✔'} ${c.action.padEnd(9)} ${c.kind} ${c.name}`);
    console.log(`${(0, change_js_1.changed)(changes).length} changed, ${changes.length - (0, change_js_1.changed)(changes).length} already in place.`);
}
async function main() {
    const cfg = (0, config_js_1.parseConfig)((0, config_js_1.parsePhase)(process.argv[2]), process.env);
    const timing = { intervalMs: 3000 };
    if (cfg.phase === 'kibana') {
        report(await (0, run_js_1.runKibanaPhase)(fetch, cfg, timing));
        return;
    }
    const client = clientFor(cfg.elasticsearchUrl, 'elastic', cfg.elasticPassword);
    const verify = async (username, password) => {
        const probe = clientFor(cfg.elasticsearchUrl, username, password);
        try {
            await probe.security.authenticate();
            return true;
        }
        catch (err) {
            if ((0, es_errors_js_1.statusOf)(err) === 401)
                return false;
            throw err;
        }
        finally {
            await probe.close();
        }
    };
    try {
        report(await (0, run_js_1.runElasticsearchPhase)(client, verify, cfg, timing));
    }
    finally {
        await client.close();
    }
}
main().catch((err) => {
    if (err instanceof errors_js_1.SetupError) {
        console.error(`✖ ${err.message}\n  → ${err.hint}`);
    }
    else {
        console.error(`✖ setup failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exitCode = 1;
});
//# sourceMappingURL=main.js.map