// npm run teardown: remove every resource of an environment (or of every expired one).
import { hostname, userInfo } from 'node:os';
import { question } from 'zx';
import { createAwsClients } from './lib/core/aws-clients.js';
import { systemClock } from './lib/core/clock.js';
import { helpText, processSources } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { OperatorError, runCli } from './lib/core/operator-error.js';
import { printResult, Progress } from './lib/core/progress.js';
import { loadTeardownConfig, teardownCommand } from './lib/teardown/config.js';
import { sweepFailure, teardownEnvironment, teardownExpired } from './lib/teardown/run.js';
import { teardownRows } from './lib/teardown/summary.js';

await runCli(async (argv) => {
  if (argv.includes('--help')) {
    process.stdout.write(helpText(teardownCommand));
    return;
  }
  const cfg = await loadTeardownConfig(processSources(argv), systemGit());
  const clients = createAwsClients(cfg.region);
  const confirm = async (q: string): Promise<boolean> => {
    if (cfg.yes || cfg.ci) return true;
    if (!process.stdin.isTTY) throw new OperatorError('teardown needs a confirmation and there is no terminal to ask.', 'Pass --yes.');
    return /^y(es)?$/i.test((await question(`${q} [y/N] `)).trim());
  };
  const deps = { clients, progress: new Progress(), holder: `${userInfo().username}@${hostname()}`, clock: systemClock, confirm };
  if (!cfg.allExpired) {
    const result = await teardownEnvironment(cfg.env as string, deps);
    return printResult(cfg.json, [result], teardownRows([result]));
  }
  const sweep = await teardownExpired(deps);
  printResult(cfg.json, sweep, teardownRows(sweep.results, sweep.failures));
  const failed = sweepFailure(sweep);
  if (failed) throw failed;
});
