// npm run restore -- --from latest|<key>: replaces the environment's data with a backup.
import { projectStorage } from './lib/aws/bucket.js';
import { requireRunningInstance } from './lib/aws/environment.js';
import { formatRowCounts } from './lib/box/postgres-commands.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { progressOf, runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { terminalConfirm } from './lib/core/confirm.js';
import { OperatorError } from './lib/core/operator-error.js';
import { printResult } from './lib/core/progress.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from './lib/deploy/plan.js';
import { restoreCommand, restoreFields, restoreSchema } from './lib/restore/config.js';
import { restoreDatabase } from './lib/restore/run.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const cfg = await loadConfig(restoreFields, restoreSchema, sourcesOf(argv, deps), deps.git, { healthTimeout: String(DEFAULT_HEALTH_TIMEOUT_SECONDS) });
  if (cfg.help) return void deps.stdout.write(helpText(restoreCommand));
  // Required, but checked after --help so that help never needs it.
  if (!cfg.from) throw new OperatorError('Missing --from: which backup to restore.', 'Pass --from latest, or a key from `npm run backups`.');
  const clients = deps.awsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const storage = await projectStorage(clients, deps.s3Client(cfg.region));
  const progress = progressOf(deps);
  const run = { run: ssmRunner(clients.ssm, instance.id, { clock: deps.clock }), storage, progress, newId: deps.newId, confirm: terminalConfirm('restore', cfg, deps) };
  const result = await restoreDatabase(run, { env: cfg.env, from: cfg.from, backupFirst: !cfg.noBackup, healthTimeoutSeconds: cfg.healthTimeout });
  if (!result) return void printResult(cfg.json, { env: cfg.env, aborted: true }, [['restore', 'aborted, nothing changed']], deps.stdout);
  printResult(
    cfg.json,
    { env: cfg.env, instanceId: instance.id, ...result },
    [
      ['environment', cfg.env],
      ['restored', `${result.restored.key} (commit ${result.restored.commit.slice(0, 7)}, ${result.restored.reason})`],
      ['replaced data', result.before ? `backed up to ${result.before.key}` : 'not backed up (--no-backup)'],
      ['rows', formatRowCounts(result.rows)],
      ['took', progress.elapsed()],
    ],
    deps.stdout,
  );
}

await runWhenEntry(import.meta.url, main);
