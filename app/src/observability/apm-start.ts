// Preloaded with `node -r` so the agent patches http, express and pg before they load.
// Options here are defaults: ELASTIC_APM_* environment variables take precedence over them.
import cluster from 'node:cluster';
import apm from 'elastic-apm-node';

apm.start({
  // Without a server URL the agent would send to localhost:8200; the primary serves no requests.
  active: Boolean(process.env.ELASTIC_APM_SERVER_URL) && cluster.isWorker,
  serviceName: 'pillbox',
  // No cloud metadata probe unless asked for.
  cloudProvider: 'none',
  // Bodies and headers never leave the process; node names come from the primary, one per worker.
  captureBody: 'off',
  captureHeaders: false,
  centralConfig: true,
});
