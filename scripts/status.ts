// npm run status [-- --env <name> | --all] [--json]: every pillbox environment in the region, or one.
import { EnvironmentNotFound, listEnvironments } from './lib/aws/environment.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { readWritePasswords } from './lib/aws/write-password.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, parseConfig } from './lib/core/config.js';
import { OperatorError } from './lib/core/operator-error.js';
import { statusCommand, statusFields, statusSchema } from './lib/status/config.js';
import { collectStatus, renderStatus } from './lib/status/report.js';
import { renderWritePasswords } from './lib/status/write-password.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const cfg = parseConfig(statusFields, statusSchema, sourcesOf(argv, deps));
  if (cfg.help) return void deps.stdout.write(helpText(statusCommand));
  const env = cfg.all ? undefined : cfg.env;
  if (cfg.showWritePassword && !env) throw new OperatorError('--show-write-password needs one environment.', 'Name it: `npm run status -- --env <name> --show-write-password`.');
  const clients = deps.awsClients(cfg.region);
  const region = await resolveRegion(clients);
  const now = () => new Date(deps.clock.now());
  const statuses = await collectStatus({ ec2: clients.ec2, ssm: clients.ssm, scheduler: clients.scheduler, now, newId: deps.newId }, env);
  if (env && statuses.length === 0) throw new EnvironmentNotFound(env, region, await listEnvironments(clients.ec2));
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const passwords = cfg.showWritePassword && env ? await readWritePasswords(clients.ssm, env) : undefined;
  const shown = passwords ? statuses.map((s) => ({ ...s, writePassword: passwords })) : statuses;
  deps.stdout.write(cfg.json ? `${JSON.stringify(shown, null, 2)}\n` : renderStatus(statuses, region, now(), timeZone));
  if (passwords && !cfg.json) deps.stdout.write(renderWritePasswords(passwords));
}

await runWhenEntry(import.meta.url, main);
