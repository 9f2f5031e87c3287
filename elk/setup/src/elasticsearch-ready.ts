// Waits, with a deadline, until Elasticsearch answers and its cluster is at least yellow.
import type { Client } from '@elastic/elasticsearch';
import { SetupError } from './errors.js';
import { describe, statusOf } from './es-errors.js';
import { waitUntil, type ProbeResult, type WaitOptions } from './wait.js';

export async function waitForElasticsearch(client: Client, url: string, opts: WaitOptions): Promise<void> {
  const probe = async (): Promise<ProbeResult> => {
    try {
      const health = await client.cluster.health({ wait_for_status: 'yellow', timeout: '5s' });
      if (health.timed_out || health.status === 'red') return { ready: false, reason: `cluster status is ${health.status}` };
      return { ready: true };
    } catch (err) {
      if (statusOf(err) === 401) {
        // Retrying cannot fix a wrong password; say so at once.
        throw new SetupError(
          'Elasticsearch rejected the password of the elastic user.',
          'ELASTIC_PASSWORD must be the one the Elasticsearch data volume was created with; restore it, or remove that volume to start over.',
        );
      }
      return { ready: false, reason: describe(err) };
    }
  };
  const result = await waitUntil(probe, opts);
  if (!result.ready) {
    throw new SetupError(
      `Elasticsearch at ${url} was not ready within ${Math.round(opts.timeoutMs / 1000)}s (last: ${result.reason}).`,
      'Check `docker compose logs elasticsearch`; raise SETUP_ES_TIMEOUT_SECONDS if the box is just slow.',
    );
  }
}
