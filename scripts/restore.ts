// npm run restore -- --from latest|<key>: replaces the environment's data with a backup.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { projectStorage } from './lib/aws/bucket.js';
import { requireRunningInstance } from './lib/aws/environment.js';
import { formatRowCounts } from './lib/box/postgres-commands.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, createS3Client, resolveRegion } from './lib/core/aws-clients.js';
import { commonFields, commonSchema, flagSchema, loadConfig, processSources, usage } from './lib/core/config.js';
import { terminalConfirm } from './lib/core/confirm.js';
import { systemGit } from './lib/core/git.js';
import { OperatorError, runCli } from './lib/core/operator-error.js';
import { printResult, Progress } from './lib/core/progress.js';
import { restoreDatabase } from './lib/restore/run.js';

const fields = {
  ...commonFields,
  from: { flag: 'from', description: 'latest, or a backup key or time from `npm run backups`' },
  yes: { flag: 'yes', boolean: true, description: 'do not ask for confirmation' },
  ci: { flag: 'ci', env: 'CI', boolean: true, description: 'never prompt (set by CI systems)' },
  noBackup: { flag: 'no-backup', boolean: true, description: 'skip the backup of the data being replaced' },
  healthTimeout: { flag: 'health-timeout', env: 'PILLBOX_DEPLOY_HEALTH_TIMEOUT', description: 'seconds the app may take to turn healthy again (default 180)' },
};
const schema = commonSchema.extend({
  from: z.string().min(1).optional(),
  yes: flagSchema.default(false),
  ci: flagSchema.default(false),
  noBackup: flagSchema.default(false),
  healthTimeout: z.coerce.number({ error: 'expected a whole number of seconds from 10 to 1800' }).int().min(10).max(1800),
});
const SUMMARY = 'Stops the app, restores the database from a backup in one transaction, starts the app and reports the row counts. The data it replaces is backed up first.';

await runCli(async (argv) => {
  const cfg = await loadConfig(fields, schema, processSources(argv), systemGit(), { healthTimeout: '180' });
  if (cfg.help) return void process.stdout.write(usage('restore', SUMMARY, fields));
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
