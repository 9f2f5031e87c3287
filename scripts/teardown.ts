// npm run teardown: remove every resource of an environment (or of every expired one).
import { hostname, userInfo } from 'node:os';
import { createAwsClients, createS3Client } from './lib/core/aws-clients.js';
import { processSources, usage } from './lib/core/config.js';
import { terminalConfirm } from './lib/core/confirm.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { printResult, Progress } from './lib/core/progress.js';
import { loadTeardownConfig, teardownFields } from './lib/teardown/config.js';
import { findExpiredEnvironments, teardownEnvironment, type TeardownResult } from './lib/teardown/run.js';
import { teardownRows } from './lib/teardown/summary.js';

await runCli(async (argv) => {
  if (argv.includes('--help')) {
    process.stdout.write(usage('teardown', 'Removes everything an environment created: instance, security group, role, profile, parameters, source archives; a final backup first, backups kept unless asked.', teardownFields));
    return;
  }
  const cfg = await loadTeardownConfig(processSources(argv), systemGit());
  const clients = createAwsClients(cfg.region);
  const s3 = createS3Client(cfg.region);
  const data = { finalBackup: !cfg.noBackup, deleteBackups: cfg.deleteBackups };
  const confirm = terminalConfirm('teardown', cfg);
  const envs = cfg.allExpired ? await findExpiredEnvironments(clients, Date.now()) : [cfg.env as string];
  const results: TeardownResult[] = [];
  for (const env of envs) {
    results.push(await teardownEnvironment(env, { clients, s3, progress: new Progress(), holder: `${userInfo().username}@${hostname()}`, now: Date.now, confirm }, data));
  }
  printResult(cfg.json, results, teardownRows(results));
});
