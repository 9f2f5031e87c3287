// npm run provision: launch (or converge) one pillbox box. Logic lives in lib/provision/.
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { createAwsClients, createS3Client } from './lib/core/aws-clients.js';
import { systemClock } from './lib/core/clock.js';
import { helpText, processSources } from './lib/core/config.js';
import { interruptOn } from './lib/core/interrupt.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { printResult, Progress } from './lib/core/progress.js';
import { checkipLookup } from './lib/core/public-address.js';
import { systemArchive } from './lib/core/source-archive.js';
import { loadProvisionConfig, provisionCommand } from './lib/provision/config.js';
import { provision } from './lib/provision/run.js';
import { planText, provisionRows } from './lib/provision/summary.js';

await runCli(async (argv) => {
  if (argv.includes('--help')) {
    process.stdout.write(helpText(provisionCommand));
    return;
  }
  const git = systemGit();
  const cfg = await loadProvisionConfig(processSources(argv), git);
  const interrupt = interruptOn();
  const result = await provision(cfg, {
    clients: createAwsClients(cfg.region),
    s3: createS3Client(cfg.region),
    git,
    archive: systemArchive(),
    progress: new Progress(),
    clock: systemClock,
    runId: randomUUID().slice(0, 8),
    holder: `${userInfo().username}@${hostname()}`,
    interactive: process.stdin.isTTY === true && !cfg.ci,
    lookupAddress: checkipLookup(),
    signal: interrupt.signal,
    onForcedExit: interrupt.onForcedExit,
  }).finally(interrupt.dispose);
  if (result.planned && !cfg.json) process.stdout.write(planText(result));
  printResult(cfg.json, result, provisionRows(result));
});
