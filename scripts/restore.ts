// npm run restore -- --from latest|<key>: replaces the environment's data with a backup.
import { randomBytes } from 'node:crypto';
import { projectStorage } from './lib/aws/bucket.js';
import { requireRunningInstance } from './lib/aws/environment.js';
import { formatRowCounts } from './lib/box/postgres-commands.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, createS3Client, resolveRegion } from './lib/core/aws-clients.js';
import { helpText, loadConfig, processSources } from './lib/core/config.js';
import { terminalConfirm } from './lib/core/confirm.js';
import { systemGit } from './lib/core/git.js';
import { OperatorError, runCli } from './lib/core/operator-error.js';
import { printResult, Progress } from './lib/core/progress.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from './lib/deploy/plan.js';
import { restoreCommand, restoreFields, restoreSchema } from './lib/restore/config.js';
import { restoreDatabase } from './lib/restore/run.js';

await runCli(async (argv) => {
  const cfg = await loadConfig(restoreFields, restoreSchema, processSources(argv), systemGit(), { healthTimeout: String(DEFAULT_HEALTH_TIMEOUT_SECONDS) });
  if (cfg.help) return void process.stdout.write(helpText(restoreCommand));
  // Required, but checked after --help so that help never needs it.
  if (!cfg.from) throw new OperatorError('Missing --from: which backup to restore.', 'Pass --from latest, or a key from `npm run backups`.');
  const clients = createAwsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const storage = await projectStorage(clients, createS3Client(cfg.region));
  const progress = new Progress();
  const deps = { run: ssmRunner(clients.ssm, instance.id), storage, progress, newId: () => randomBytes(8).toString('hex'), confirm: terminalConfirm('restore', cfg) };
  const result = await restoreDatabase(deps, { env: cfg.env, from: cfg.from, backupFirst: !cfg.noBackup, healthTimeoutSeconds: cfg.healthTimeout });
  if (!result) return void printResult(cfg.json, { env: cfg.env, aborted: true }, [['restore', 'aborted, nothing changed']]);
  printResult(cfg.json, { env: cfg.env, instanceId: instance.id, ...result }, [
    ['environment', cfg.env],
    ['restored', `${result.restored.key} (commit ${result.restored.commit.slice(0, 7)}, ${result.restored.reason})`],
    ['replaced data', result.before ? `backed up to ${result.before.key}` : 'not backed up (--no-backup)'],
    ['rows', formatRowCounts(result.rows)],
    ['took', progress.elapsed()],
  ]);
});
