// npm run teardown: remove every resource of an environment (or of every expired one).
import { hostname, userInfo } from 'node:os';
import { createAwsClients, createS3Client } from './lib/core/aws-clients.js';
import { systemClock } from './lib/core/clock.js';
import { envNameFromBranch, helpText, processSources } from './lib/core/config.js';
import { terminalConfirm } from './lib/core/confirm.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { printResult, Progress } from './lib/core/progress.js';
import { loadTeardownConfig, teardownCommand } from './lib/teardown/config.js';
import { sweepFailure, teardownEnvironment, teardownExpired } from './lib/teardown/run.js';
import { teardownRows } from './lib/teardown/summary.js';

await runCli(async (argv) => {
  if (argv.includes('--help')) {
    process.stdout.write(helpText(teardownCommand));
    return;
  }
  const sources = processSources(argv);
  const cfg = await loadTeardownConfig(sources, systemGit());
  const clients = createAwsClients(cfg.region);
  const data = { finalBackup: !cfg.noBackup, deleteBackups: cfg.deleteBackups };
  const deps = { clients, s3: createS3Client(cfg.region), progress: new Progress(), holder: `${userInfo().username}@${hostname()}`, clock: systemClock, confirm: terminalConfirm('teardown', cfg) };
  if (!cfg.allExpired) {
    const result = await teardownEnvironment(cfg.env as string, deps, data, envNameFromBranch(sources));
    return printResult(cfg.json, [result], teardownRows([result]));
  }
  const sweep = await teardownExpired(deps, data);
  printResult(cfg.json, sweep, teardownRows(sweep.results, sweep.failures));
  const failed = sweepFailure(sweep);
  if (failed) throw failed;
});
