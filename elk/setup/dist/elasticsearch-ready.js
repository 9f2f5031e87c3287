"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.waitForElasticsearch = waitForElasticsearch;
const errors_js_1 = require("./errors.js");
const es_errors_js_1 = require("./es-errors.js");
const wait_js_1 = require("./wait.js");
async function waitForElasticsearch(client, url, opts) {
    const probe = async () => {
        try {
            const health = await client.cluster.health({ wait_for_status: 'yellow', timeout: '5s' });
            if (health.timed_out || health.status === 'red')
                return { ready: false, reason: `cluster status is ${health.status}` };
            return { ready: true };
        }
        catch (err) {
            if ((0, es_errors_js_1.statusOf)(err) === 401) {
                // Retrying cannot fix a wrong password; say so at once.
                throw new errors_js_1.SetupError('Elasticsearch rejected the password of the elastic user.', 'ELASTIC_PASSWORD must be the one the Elasticsearch data volume was created with; restore it, or remove that volume to start over.');
            }
            return { ready: false, reason: (0, es_errors_js_1.describe)(err) };
        }
    };
    const result = await (0, wait_js_1.waitUntil)(probe, opts);
    if (!result.ready) {
        throw new errors_js_1.SetupError(`Elasticsearch at ${url} was not ready within ${Math.round(opts.timeoutMs / 1000)}s (last: ${result.reason}).`, 'Check `docker compose logs elasticsearch`; raise SETUP_ES_TIMEOUT_SECONDS if the box is just slow.');
    }
}
//# sourceMappingURL=elasticsearch-ready.js.map