// npm run status [-- --env <name> | --all] [--json]: every pillbox environment in the region, or one.
import { EnvironmentNotFound } from './lib/aws/environment.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { everyEnvironmentFields, everyEnvironmentSchema, helpText, parseConfig } from './lib/core/config.js';
import { statusCommand } from './lib/status/config.js';
import { collectStatus, renderStatus } from './lib/status/report.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const cfg = parseConfig(everyEnvironmentFields, everyEnvironmentSchema, sourcesOf(argv, deps));
  if (cfg.help) return void deps.stdout.write(helpText(statusCommand));
  const clients = deps.awsClients(cfg.region);
  const region = await resolveRegion(clients);
  const env = cfg.all ? undefined : cfg.env;
  const now = () => new Date(deps.clock.now());
  const statuses = await collectStatus({ ec2: clients.ec2, ssm: clients.ssm, now, newId: deps.newId }, env);
  if (env && statuses.length === 0) throw new EnvironmentNotFound(env, region);
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  deps.stdout.write(cfg.json ? `${JSON.stringify(statuses, null, 2)}\n` : renderStatus(statuses, region, now(), timeZone));
}

await runWhenEntry(import.meta.url, main);
