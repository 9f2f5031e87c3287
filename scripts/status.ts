// npm run status [-- --env <name> | --all] [--json]: every pillbox environment in the region, or one.
import { randomBytes } from 'node:crypto';
import { EnvironmentNotFound } from './lib/aws/environment.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { everyEnvironmentFields, everyEnvironmentSchema, helpText, parseConfig, processSources } from './lib/core/config.js';
import { runCli } from './lib/core/operator-error.js';
import { statusCommand } from './lib/status/config.js';
import { collectStatus, renderStatus } from './lib/status/report.js';

await runCli(async (argv) => {
  const cfg = parseConfig(everyEnvironmentFields, everyEnvironmentSchema, processSources(argv));
  if (cfg.help) return void process.stdout.write(helpText(statusCommand));
  const clients = createAwsClients(cfg.region);
  const region = await resolveRegion(clients);
  const env = cfg.all ? undefined : cfg.env;
  const statuses = await collectStatus({ ec2: clients.ec2, ssm: clients.ssm, scheduler: clients.scheduler, now: () => new Date(), newId: () => randomBytes(8).toString('hex') }, env);
  if (env && statuses.length === 0) throw new EnvironmentNotFound(env, region);
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  process.stdout.write(cfg.json ? `${JSON.stringify(statuses, null, 2)}\n` : renderStatus(statuses, region, new Date(), timeZone));
});
