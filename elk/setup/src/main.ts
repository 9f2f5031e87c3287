// Entry point of the one-shot setup job: `node dist/main.js elasticsearch|kibana`. Thin on purpose.
import { Client } from '@elastic/elasticsearch';
import { readFileSync } from 'node:fs';
import { changed, type Change } from './change.js';
import { parseConfig, parsePhase } from './config.js';
import { SetupError } from './errors.js';
import { statusOf } from './es-errors.js';
import { runElasticsearchPhase, runKibanaPhase } from './run.js';
import type { VerifyPassword } from './security.js';

const REQUEST_TIMEOUT_MS = 10_000;

function clientFor(node: string, username: string, password: string): Client {
  // No client-side retries: the bounded wait loop decides how long to keep trying.
  return new Client({ node, auth: { username, password }, maxRetries: 0, requestTimeout: REQUEST_TIMEOUT_MS });
}

function report(changes: Change[]): void {
  const mark = { created: '✔', updated: '✔', unchanged: '·', skipped: '-' } as const;
  for (const c of changes) console.log(`${mark[c.action]} ${c.action.padEnd(9)} ${c.kind} ${c.name}${c.reason ? ` (${c.reason})` : ''}`);
  const done = changed(changes).length;
  const skips = changes.filter((c) => c.action === 'skipped').length;
  console.log(`${done} changed, ${changes.length - done - skips} already in place${skips ? `, ${skips} skipped` : ''}.`);
}

async function main(): Promise<void> {
  const cfg = parseConfig(parsePhase(process.argv[2]), process.env, (path) => readFileSync(path, 'utf8'));
  const timing = { intervalMs: 3000 };
  if (cfg.phase === 'kibana') {
    report(await runKibanaPhase(fetch, cfg, timing));
    return;
  }
  const client = clientFor(cfg.elasticsearchUrl, 'elastic', cfg.elasticPassword);
  const verify: VerifyPassword = async (username, password) => {
    const probe = clientFor(cfg.elasticsearchUrl, username, password);
    try {
      await probe.security.authenticate();
      return true;
    } catch (err) {
      if (statusOf(err) === 401) return false;
      throw err;
    } finally {
      await probe.close();
    }
  };
  try {
    report(await runElasticsearchPhase(client, verify, cfg, timing));
  } finally {
    await client.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof SetupError) {
    console.error(`✖ ${err.message}\n  → ${err.hint}`);
  } else {
    console.error(`✖ setup failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exitCode = 1;
});
