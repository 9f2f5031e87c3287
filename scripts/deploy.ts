// npm run deploy [-- --ref <commit>]: moves the box's app to another commit, behind a health gate.
import { projectStorage } from './lib/aws/bucket.js';
import { requireRunningInstance } from './lib/aws/environment.js';
import { tagDeployedCommit } from './lib/aws/instance.js';
import { changeWritePassword } from './lib/aws/write-password.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { progressOf, runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { resolveCommit } from './lib/core/git.js';
import { printResult } from './lib/core/progress.js';
import { deployCommand, deployFields, deployRef, deploySchema } from './lib/deploy/config.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from './lib/deploy/plan.js';
import { deployApp } from './lib/deploy/run.js';
import { backupWhenMigrating, requiresWritePassword, shipCommit, writesOpenWarning } from './lib/deploy/ship.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const { git } = deps;
  const cfg = await loadConfig(deployFields, deploySchema, sourcesOf(argv, deps), git, { healthTimeout: String(DEFAULT_HEALTH_TIMEOUT_SECONDS) });
  if (cfg.help) return void deps.stdout.write(helpText(deployCommand));
  const clients = deps.awsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const { writePassword } = cfg;
  const sha = await resolveCommit(git, deployRef(cfg.ref, writePassword, instance.gitSha));
  const progress = progressOf(deps);
  const storage = await projectStorage(clients, deps.s3Client(cfg.region));
  const source = await shipCommit({ git, archive: deps.archive, storage, progress }, cfg.env, sha);
  const run = ssmRunner(clients.ssm, instance.id, { clock: deps.clock });
  const writePasswordRequired = await requiresWritePassword(git, sha);
  const warning = writePasswordRequired ? undefined : await writesOpenWarning(git, sha);
  if (warning) progress.note(warning);
  let passwordChange: string | undefined;
  const result = await deployApp(
    {
      run,
      progress,
      newId: deps.newId,
      beforeChange: cfg.noBackup ? undefined : backupWhenMigrating(git, sha, run, progress),
      changeSecrets: writePassword
        ? async () => {
            passwordChange = await progress.step(`Write password: ${writePassword}`, () => changeWritePassword(clients.ssm, cfg.env, writePassword));
          }
        : undefined,
      recordCommit: (deployed) => tagDeployedCommit(clients.ec2, instance.id, deployed),
    },
    { source, healthTimeoutSeconds: cfg.healthTimeout, reloadSecrets: writePassword !== undefined, writePasswordRequired },
  );
  const rows: [string, string][] =
    result.status === 'deployed'
      ? [['environment', cfg.env], ['deployed', `${result.from.slice(0, 7)} → ${result.to.slice(0, 7)}`], ['rollback image', `pillbox-app:rollback (${result.previousImage.slice(7, 19)})`], ['took', progress.elapsed()]]
      : [['environment', cfg.env], ['commit', `${result.commit.slice(0, 7)} (${result.status === 'unchanged' ? 'unchanged' : 'swapped in again'})`]];
  if (passwordChange) rows.push(['write password', `${passwordChange}; \`npm run status -- --env ${cfg.env} --show-write-password\` shows it`]);
  printResult(cfg.json, { env: cfg.env, instanceId: instance.id, ...result }, rows, deps.stdout);
}

await runWhenEntry(import.meta.url, main);
