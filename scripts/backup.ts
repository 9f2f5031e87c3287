// npm run backup: backs up the environment's database now, on its box, to the project bucket.
import { projectStorage } from './lib/aws/bucket.js';
import { requireRunningInstance } from './lib/aws/environment.js';
import { takeBackup } from './lib/backup/run.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { backupCommand } from './lib/backup/config.js';
import { progressOf, runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { commonSchema, helpText, loadConfig } from './lib/core/config.js';
import { printResult } from './lib/core/progress.js';
import { formatBytes } from './lib/core/storage-cost.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const cfg = await loadConfig(backupCommand.fields, commonSchema, sourcesOf(argv, deps), deps.git);
  if (cfg.help) return void deps.stdout.write(helpText(backupCommand));
  const clients = deps.awsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const { bucket } = await projectStorage(clients, deps.s3Client(cfg.region));
  const progress = progressOf(deps);
  const run = ssmRunner(clients.ssm, instance.id, { clock: deps.clock });
  const manifest = await progress.step(`Back up the database of ${cfg.env} (${instance.id})`, () => takeBackup(run, 'manual'));
  printResult(
    cfg.json,
    { env: cfg.env, instanceId: instance.id, bucket, ...manifest },
    [
      ['environment', cfg.env],
      ['backup', `s3://${bucket}/${manifest.key}`],
      ['size', formatBytes(manifest.bytes)],
      ['sha256', manifest.sha256],
      ['took', progress.elapsed()],
    ],
    deps.stdout,
  );
}

await runWhenEntry(import.meta.url, main);
