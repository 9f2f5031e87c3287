// npm run deploy [-- --ref <commit>]: moves the box's app to another pushed commit, behind a health gate.
import { randomBytes } from 'node:crypto';
import { requireRunningInstance } from './lib/aws/environment.js';
import { tagDeployedCommit } from './lib/aws/instance.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { helpText, loadConfig, processSources } from './lib/core/config.js';
import { assertCommitOnRemote, originUrl, resolveCommit, systemGit } from './lib/core/git.js';
import { OperatorError, runCli } from './lib/core/operator-error.js';
import { printResult, Progress } from './lib/core/progress.js';
import { deployCommand, deployFields, deploySchema } from './lib/deploy/config.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from './lib/deploy/plan.js';
import { deployApp } from './lib/deploy/run.js';

await runCli(async (argv) => {
  const git = systemGit();
  const cfg = await loadConfig(deployFields, deploySchema, processSources(argv), git, { healthTimeout: String(DEFAULT_HEALTH_TIMEOUT_SECONDS) });
  if (cfg.help) return void process.stdout.write(helpText(deployCommand));
  const sha = await resolveCommit(git, cfg.ref);
  const repo = cfg.repoUrl ?? (await originUrl(git));
  if (!repo) throw new OperatorError('This checkout has no origin remote, so the box cannot fetch the commit.', 'Add the remote the box clones from: git remote add origin <https-url>.');
  await assertCommitOnRemote(git, repo, sha);
  const clients = createAwsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const progress = new Progress();
  const result = await deployApp(
    { run: ssmRunner(clients.ssm, instance.id), progress, newId: () => randomBytes(8).toString('hex'), recordCommit: (deployed) => tagDeployedCommit(clients.ec2, instance.id, deployed) },
    { sha, healthTimeoutSeconds: cfg.healthTimeout },
  );
  const rows: [string, string][] =
    result.status === 'unchanged'
      ? [['environment', cfg.env], ['commit', `${result.commit.slice(0, 7)} (unchanged)`]]
      : [['environment', cfg.env], ['deployed', `${result.from.slice(0, 7)} → ${result.to.slice(0, 7)}`], ['rollback image', `pillbox-app:rollback (${result.previousImage.slice(7, 19)})`], ['took', progress.elapsed()]];
  printResult(cfg.json, { env: cfg.env, instanceId: instance.id, ...result }, rows);
});
