// Elasticsearch's own component templates (logs@mappings, ecs@mappings, ...) are installed by its StackTemplateRegistry
// on a cluster-state change once the node is master, so after the cluster turns yellow; an index template composed
// of one that is not there yet is refused with HTTP 400. Wait for them, with a deadline, before composing them.
import type { Client } from '@elastic/elasticsearch';
import { SetupError } from './errors.js';
import { isNotFound } from './es-errors.js';
import { waitUntil, type ProbeResult, type WaitOptions } from './wait.js';

async function missingTemplates(client: Client, names: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  // One name per request, so the message can say which is missing (a missing one answers 404).
  for (const name of names) {
    try {
      await client.cluster.getComponentTemplate({ name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      missing.push(name);
    }
  }
  return missing;
}

export async function waitForComponentTemplates(client: Client, names: readonly string[], opts: WaitOptions): Promise<void> {
  const probe = async (): Promise<ProbeResult> => {
    const missing = await missingTemplates(client, names);
    return missing.length === 0 ? { ready: true } : { ready: false, reason: `missing ${missing.join(', ')}` };
  };
  const result = await waitUntil(probe, opts);
  if (!result.ready) {
    throw new SetupError(
      `Elasticsearch did not install its built-in component templates within ${Math.round(opts.timeoutMs / 1000)}s (${result.reason}).`,
      'Check `docker compose logs elasticsearch` (stack.templates.enabled must stay true); raise SETUP_ES_TIMEOUT_SECONDS if the box is just slow.',
    );
  }
}
