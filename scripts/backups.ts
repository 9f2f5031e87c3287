// npm run backups [-- --env <name>] [--json]: the backups in the project bucket, newest first.
import { listBackups } from './lib/aws/backup-catalog.js';
import { projectStorage } from './lib/aws/bucket.js';
import { backupsCommand } from './lib/backups/config.js';
import { backupRows, renderBackups } from './lib/backups/report.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { everyEnvironmentFields, everyEnvironmentSchema, helpText, parseConfig } from './lib/core/config.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const cfg = parseConfig(everyEnvironmentFields, everyEnvironmentSchema, sourcesOf(argv, deps));
  if (cfg.help) return void deps.stdout.write(helpText(backupsCommand));
  const clients = deps.awsClients(cfg.region);
  const storage = await projectStorage(clients, deps.s3Client(cfg.region));
  const env = cfg.all ? undefined : cfg.env;
  const rows = backupRows(await listBackups(storage, env), new Date(deps.clock.now()));
  deps.stdout.write(cfg.json ? `${JSON.stringify(rows, null, 2)}\n` : renderBackups(rows, storage.bucket, env));
}

await runWhenEntry(import.meta.url, main);
