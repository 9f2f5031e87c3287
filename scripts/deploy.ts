// npm run deploy [-- --ref <commit>]: moves the box's app to another commit, behind a health gate.
import { projectStorage } from './lib/aws/bucket.js';
import { requireRunningInstance } from './lib/aws/environment.js';
import { tagDeployedCommit } from './lib/aws/instance.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { progressOf, runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { resolveCommit } from './lib/core/git.js';
import { printResult } from './lib/core/progress.js';
import { deployCommand, deployFields, deploySchema } from './lib/deploy/config.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from './lib/deploy/plan.js';
import { deployApp } from './lib/deploy/run.js';
import { backupWhenMigrating, shipCommit } from './lib/deploy/ship.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const { git } = deps;
  const cfg = await loadConfig(deployFields, deploySchema, sourcesOf(argv, deps), git, { healthTimeout: String(DEFAULT_HEALTH_TIMEOUT_SECONDS) });
  if (cfg.help) return void deps.stdout.write(helpText(deployCommand));
  const sha = await resolveCommit(git, cfg.ref);
  const clients = deps.awsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const progress = progressOf(deps);
  const storage = await projectStorage(clients, deps.s3Client(cfg.region));
  const source = await shipCommit({ git, archive: deps.archive, storage, progress }, cfg.env, sha);
  const run = ssmRunner(clients.ssm, instance.id, { clock: deps.clock });
  const result = await deployApp(
    {
      run,
      progress,
      newId: deps.newId,
      beforeChange: cfg.noBackup ? undefined : backupWhenMigrating(git, sha, run, progress),
      recordCommit: (deployed) => tagDeployedCommit(clients.ec2, instance.id, deployed),
    },
    { source, healthTimeoutSeconds: cfg.healthTimeout },
  );
  const rows: [string, string][] =
    result.status === 'unchanged'
      ? [['environment', cfg.env], ['commit', `${result.commit.slice(0, 7)} (unchanged)`]]
      : [['environment', cfg.env], ['deployed', `${result.from.slice(0, 7)} → ${result.to.slice(0, 7)}`], ['rollback image', `pillbox-app:rollback (${result.previousImage.slice(7, 19)})`], ['took', progress.elapsed()]];
  printResult(cfg.json, { env: cfg.env, instanceId: instance.id, ...result }, rows, deps.stdout);
}

await runWhenEntry(import.meta.url, main);
