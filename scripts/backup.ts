// npm run backup: backs up the environment's database now, on its box, to the project bucket.
import { projectStorage } from './lib/aws/bucket.js';
import { requireRunningInstance } from './lib/aws/environment.js';
import { takeBackup } from './lib/backup/run.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, createS3Client, resolveRegion } from './lib/core/aws-clients.js';
import { backupCommand } from './lib/backup/config.js';
import { commonSchema, helpText, loadConfig, processSources } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { printResult, Progress } from './lib/core/progress.js';
import { formatBytes } from './lib/core/storage-cost.js';

await runCli(async (argv) => {
  const cfg = await loadConfig(backupCommand.fields, commonSchema, processSources(argv), systemGit());
  if (cfg.help) return void process.stdout.write(helpText(backupCommand));
  const clients = createAwsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const { bucket } = await projectStorage(clients, createS3Client(cfg.region));
  const progress = new Progress();
  const manifest = await progress.step(`Back up the database of ${cfg.env} (${instance.id})`, () => takeBackup(ssmRunner(clients.ssm, instance.id), 'manual'));
  printResult(cfg.json, { env: cfg.env, instanceId: instance.id, bucket, ...manifest }, [
    ['environment', cfg.env],
    ['backup', `s3://${bucket}/${manifest.key}`],
    ['size', formatBytes(manifest.bytes)],
    ['sha256', manifest.sha256],
    ['took', progress.elapsed()],
  ]);
});
