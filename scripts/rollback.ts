// npm run rollback: puts back the version the last deploy replaced, blue/green behind the edge.
import { requireRunningInstance } from './lib/aws/environment.js';
import { tagDeployedCommit } from './lib/aws/instance.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { progressOf, runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { printResult } from './lib/core/progress.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from './lib/deploy/plan.js';
import { writesOpenWarning } from './lib/deploy/ship.js';
import { rollbackCommand, rollbackFields, rollbackSchema } from './lib/rollback/config.js';
import { rollbackApp } from './lib/rollback/run.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const { git } = deps;
  const cfg = await loadConfig(rollbackFields, rollbackSchema, sourcesOf(argv, deps), git, { healthTimeout: String(DEFAULT_HEALTH_TIMEOUT_SECONDS) });
  if (cfg.help) return void deps.stdout.write(helpText(rollbackCommand));
  const clients = deps.awsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const progress = progressOf(deps);
  const result = await rollbackApp(
    {
      run: ssmRunner(clients.ssm, instance.id, { clock: deps.clock }),
      progress,
      newId: deps.newId,
      recordCommit: (sha) => tagDeployedCommit(clients.ec2, instance.id, sha),
    },
    { healthTimeoutSeconds: cfg.healthTimeout },
  );
  const warning = await writesOpenWarning(git, result.to);
  if (warning) progress.note(warning);
  printResult(
    cfg.json,
    { env: cfg.env, instanceId: instance.id, ...result },
    [
      ['environment', cfg.env],
      ['rolled back', `${result.from.slice(0, 7)} → ${result.to.slice(0, 7)}`],
      ['took', progress.elapsed()],
    ],
    deps.stdout,
  );
}

await runWhenEntry(import.meta.url, main);
