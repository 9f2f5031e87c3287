// One node holds every shard: replicas can never be assigned and would keep the cluster yellow. New indices get
// none from the templates (APM @custom, Heartbeat's setup.template.settings); this fixes indices made before that.
import type { Client } from '@elastic/elasticsearch';
import { change, type Change } from './change.js';
import { APM_STREAM_PATTERNS } from './retention.js';

export const SINGLE_NODE_PATTERNS = [...APM_STREAM_PATTERNS, 'heartbeat-*'];

const REPLICAS = 'index.number_of_replicas';

export async function dropReplicas(client: Client): Promise<Change[]> {
  const found = await client.indices.getSettings({
    index: SINGLE_NODE_PATTERNS.join(','),
    name: REPLICAS,
    flat_settings: true,
    expand_wildcards: 'all',
    allow_no_indices: true,
  });
  const changes: Change[] = [];
  for (const [index, { settings }] of Object.entries(found).sort(([a], [b]) => a.localeCompare(b))) {
    if (String((settings as Record<string, unknown> | undefined)?.[REPLICAS]) === '0') {
      changes.push(change('unchanged', 'index replicas', index));
      continue;
    }
    await client.indices.putSettings({ index, settings: { [REPLICAS]: 0 } });
    changes.push(change('updated', 'index replicas', index));
  }
  return changes;
}
