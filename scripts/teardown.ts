// npm run teardown: remove every resource of an environment (or of every expired one).
import { progressOf, runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { envNameFromBranch, helpText } from './lib/core/config.js';
import { terminalConfirm } from './lib/core/confirm.js';
import { printResult } from './lib/core/progress.js';
import { loadTeardownConfig, teardownCommand } from './lib/teardown/config.js';
import { sweepFailure, teardownEnvironment, teardownExpired } from './lib/teardown/run.js';
import { teardownRows } from './lib/teardown/summary.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  if (argv.includes('--help')) {
    deps.stdout.write(helpText(teardownCommand));
    return;
  }
  const sources = sourcesOf(argv, deps);
  const cfg = await loadTeardownConfig(sources, deps.git);
  const clients = deps.awsClients(cfg.region);
  const data = { finalBackup: !cfg.noBackup, deleteBackups: cfg.deleteBackups };
  const run = { clients, s3: deps.s3Client(cfg.region), progress: progressOf(deps), holder: deps.holder, clock: deps.clock, confirm: terminalConfirm('teardown', cfg, deps) };
  if (!cfg.allExpired) {
    const result = await teardownEnvironment(cfg.env as string, run, data, envNameFromBranch(sources));
    return printResult(cfg.json, [result], teardownRows([result]), deps.stdout);
  }
  const sweep = await teardownExpired(run, data, cfg.prefix);
  printResult(cfg.json, sweep, teardownRows(sweep.results, sweep.failures, sweep.orphans), deps.stdout);
  const failed = sweepFailure(sweep);
  if (failed) throw failed;
}

await runWhenEntry(import.meta.url, main);
