// npm run status [-- --env <name> | --all] [--json]: every pillbox environment in the region, or one.
import { randomBytes } from 'node:crypto';
import { EnvironmentNotFound } from './lib/aws/environment.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { readWritePasswords } from './lib/aws/write-password.js';
import { helpText, parseConfig, processSources } from './lib/core/config.js';
import { OperatorError, runCli } from './lib/core/operator-error.js';
import { statusCommand, statusFields, statusSchema } from './lib/status/config.js';
import { collectStatus, renderStatus } from './lib/status/report.js';
import { renderWritePasswords } from './lib/status/write-password.js';

await runCli(async (argv) => {
  const cfg = parseConfig(statusFields, statusSchema, processSources(argv));
  if (cfg.help) return void process.stdout.write(helpText(statusCommand));
  const env = cfg.all ? undefined : cfg.env;
  if (cfg.showWritePassword && !env) throw new OperatorError('--show-write-password needs one environment.', 'Name it: `npm run status -- --env <name> --show-write-password`.');
  const clients = createAwsClients(cfg.region);
  const region = await resolveRegion(clients);
  const statuses = await collectStatus({ ec2: clients.ec2, ssm: clients.ssm, now: () => new Date(), newId: () => randomBytes(8).toString('hex') }, env);
  if (env && statuses.length === 0) throw new EnvironmentNotFound(env, region);
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const passwords = cfg.showWritePassword && env ? await readWritePasswords(clients.ssm, env) : undefined;
  const shown = passwords ? statuses.map((s) => ({ ...s, writePassword: passwords })) : statuses;
  process.stdout.write(cfg.json ? `${JSON.stringify(shown, null, 2)}\n` : renderStatus(statuses, region, new Date(), timeZone));
  if (passwords && !cfg.json) process.stdout.write(renderWritePasswords(passwords));
});
