// npm run backups [-- --env <name>] [--json]: the backups in the project bucket, newest first.
import { listBackups } from './lib/aws/backup-catalog.js';
import { projectStorage } from './lib/aws/bucket.js';
import { backupsCommand } from './lib/backups/config.js';
import { backupRows, renderBackups } from './lib/backups/report.js';
import { createAwsClients, createS3Client } from './lib/core/aws-clients.js';
import { everyEnvironmentFields, everyEnvironmentSchema, helpText, parseConfig, processSources } from './lib/core/config.js';
import { runCli } from './lib/core/operator-error.js';

await runCli(async (argv) => {
  const cfg = parseConfig(everyEnvironmentFields, everyEnvironmentSchema, processSources(argv));
  if (cfg.help) return void process.stdout.write(helpText(backupsCommand));
  const clients = createAwsClients(cfg.region);
  const storage = await projectStorage(clients, createS3Client(cfg.region));
  const env = cfg.all ? undefined : cfg.env;
  const rows = backupRows(await listBackups(storage, env), new Date());
  process.stdout.write(cfg.json ? `${JSON.stringify(rows, null, 2)}\n` : renderBackups(rows, storage.bucket, env));
});
