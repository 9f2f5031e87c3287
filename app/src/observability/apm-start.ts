// Preloaded with `node -r` so the agent patches http, express and pg before they load.
// Options here are defaults: ELASTIC_APM_* environment variables take precedence over them.
import cluster from 'node:cluster';

/**
 * The agent runs in workers, and only when it has a server to send to. The primary serves no
 * requests and a worker without a server has nothing to report: neither loads the agent,
 * which would keep about 20 MiB of code and state in each process for nothing.
 */
export const apmAgentStarted = cluster.isWorker && Boolean(process.env.ELASTIC_APM_SERVER_URL);

/**
 * With a sample rate of 0 the agent would still build an unsampled transaction for every request,
 * only for APM Server (8.0+) to drop it: that bookkeeping alone cost a quarter of the list's
 * throughput (STEPS.md, monitoring). Then no transactions at all: errors and metrics are still sent.
 */
const rate = process.env.ELASTIC_APM_TRANSACTION_SAMPLE_RATE?.trim();
export const nothingSampled = rate !== undefined && rate !== '' && Number(rate) === 0;

/**
 * One request in twenty is traced by default. A trace costs 0.6-1.2 ms of worker CPU, two to four
 * times the request it describes, so the rate is what keeps the agent within a quarter of the
 * throughput: every request traced cost more than half, one in ten about 30% (STEPS.md, monitoring).
 * APM Server weighs each sampled trace by the inverse of the rate in its latency and throughput
 * charts, and errors are sent whether or not their request is sampled.
 * ELASTIC_APM_TRANSACTION_SAMPLE_RATE or Kibana's agent configuration changes it (1 traces everything).
 */
export const DEFAULT_SAMPLE_RATE = 0.05;

if (apmAgentStarted) {
  // A synchronous require: an import() would start the agent after main.js has loaded http and express.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const apm = require('elastic-apm-node') as typeof import('elastic-apm-node');
  apm.start({
    serviceName: 'pillbox',
    // No cloud metadata probe unless asked for.
    cloudProvider: 'none',
    // Bodies and headers never leave the process; node names come from the primary, one per worker.
    captureBody: 'off',
    captureHeaders: false,
    centralConfig: true,
    transactionSampleRate: DEFAULT_SAMPLE_RATE,
    // Breakdown metrics feed Kibana's "time spent by span type" chart and cost about an eighth of
    // a traced request's CPU (STEPS.md, benchmark findings): off.
    breakdownMetrics: false,
    // Heartbeat polls these every few seconds: a trace of each poll is noise, and work for nothing.
    transactionIgnoreUrls: ['/healthz', '/readyz'],
    instrumentIncomingHTTPRequests: !nothingSampled,
    // Loaded but never useful here: errors never reach finalhandler (the app's handlers answer
    // them all) and the app makes no fetch calls.
    disableInstrumentations: ['finalhandler', 'undici'],
  });
}
