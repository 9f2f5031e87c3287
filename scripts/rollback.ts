// npm run rollback: puts back the version the last deploy replaced, blue/green behind the edge.
import { randomBytes } from 'node:crypto';
import { requireRunningInstance } from './lib/aws/environment.js';
import { tagDeployedCommit } from './lib/aws/instance.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { helpText, loadConfig, processSources } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { printResult, Progress } from './lib/core/progress.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from './lib/deploy/plan.js';
import { writesOpenWarning } from './lib/deploy/ship.js';
import { rollbackCommand, rollbackFields, rollbackSchema } from './lib/rollback/config.js';
import { rollbackApp } from './lib/rollback/run.js';

await runCli(async (argv) => {
  const git = systemGit();
  const cfg = await loadConfig(rollbackFields, rollbackSchema, processSources(argv), git, { healthTimeout: String(DEFAULT_HEALTH_TIMEOUT_SECONDS) });
  if (cfg.help) return void process.stdout.write(helpText(rollbackCommand));
  const clients = createAwsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const progress = new Progress();
  const result = await rollbackApp(
    {
      run: ssmRunner(clients.ssm, instance.id),
      progress,
      newId: () => randomBytes(8).toString('hex'),
      recordCommit: (sha) => tagDeployedCommit(clients.ec2, instance.id, sha),
    },
    { healthTimeoutSeconds: cfg.healthTimeout },
  );
  const warning = await writesOpenWarning(git, result.to);
  if (warning) progress.note(warning);
  printResult(cfg.json, { env: cfg.env, instanceId: instance.id, ...result }, [
    ['environment', cfg.env],
    ['rolled back', `${result.from.slice(0, 7)} → ${result.to.slice(0, 7)}`],
    ['took', progress.elapsed()],
  ]);
});
