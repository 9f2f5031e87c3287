// Preloaded with `node -r` so the agent patches http, express and pg before they load.
// Reads only ELASTIC_APM_* variables: the agent's own configuration surface.
import cluster from 'node:cluster';
import apm from 'elastic-apm-node';

const serverUrl = process.env.ELASTIC_APM_SERVER_URL;

apm.start({
  // The agent would otherwise default to localhost:8200 and retry forever; the primary serves no requests.
  active: Boolean(serverUrl) && cluster.isWorker && process.env.ELASTIC_APM_ACTIVE !== 'false',
  serviceName: process.env.ELASTIC_APM_SERVICE_NAME || 'pillbox',
  // Node names come from the primary (one per worker); bodies never leave the process.
  captureBody: 'off',
  captureHeaders: false,
});
