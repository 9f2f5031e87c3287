// npm run backups [-- --env <name>] [--json]: the backups in the project bucket, newest first.
import { z } from 'zod';
import { listBackups } from './lib/aws/backup-catalog.js';
import { projectStorage } from './lib/aws/bucket.js';
import { backupRows, renderBackups } from './lib/backups/report.js';
import { createAwsClients, createS3Client } from './lib/core/aws-clients.js';
import { commonFields, commonSchema, flagSchema, parseConfig, processSources, usage } from './lib/core/config.js';
import { runCli } from './lib/core/operator-error.js';

const fields = {
  ...commonFields,
  env: { flag: 'env', env: 'PILLBOX_ENV', description: 'show only this environment (default: all of them)' },
  all: { flag: 'all', boolean: true, description: 'show every environment even when PILLBOX_ENV is set' },
};
const schema = commonSchema.extend({ env: commonSchema.shape.env.optional(), all: flagSchema.default(false) });
const SUMMARY = 'Lists the backups in the project bucket: environment, time, size, age and key (for `npm run restore -- --from <key>`).';

await runCli(async (argv) => {
  const cfg: z.infer<typeof schema> = parseConfig(fields, schema, processSources(argv));
  if (cfg.help) return void process.stdout.write(usage('backups', SUMMARY, fields));
  const clients = createAwsClients(cfg.region);
  const storage = await projectStorage(clients, createS3Client(cfg.region));
  const env = cfg.all ? undefined : cfg.env;
  const rows = backupRows(await listBackups(storage, env), new Date());
  process.stdout.write(cfg.json ? `${JSON.stringify(rows, null, 2)}\n` : renderBackups(rows, storage.bucket, env));
});
