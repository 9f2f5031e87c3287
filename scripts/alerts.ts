// npm run alerts [-- --env <name>] [--webhook URL] [--test]: where the box's alerts go, and a test alert through them.
import { storeWebhook } from './lib/alerts/webhook.js';
import { alertsCommand, alertsFields, alertsSchema } from './lib/alerts/config.js';
import { applyWebhook, sendTestAlert } from './lib/alerts/run.js';
import { findInstances } from './lib/aws/environment.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { progressOf, runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { OperatorError } from './lib/core/operator-error.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const cfg = await loadConfig(alertsFields, alertsSchema, sourcesOf(argv, deps), deps.git);
  if (cfg.help) return void deps.stdout.write(helpText(alertsCommand));
  const clients = deps.awsClients(cfg.region);
  // A missing or malformed region is the operator's to fix: said before anything is stored.
  await resolveRegion(clients);
  const progress = progressOf(deps);
  const print = (line: string): void => void deps.stdout.write(`${line}\n`);
  if (cfg.webhook !== undefined) {
    const url = cfg.webhook;
    const how = await progress.step('Store the alert destination in Parameter Store', () => storeWebhook(clients.ssm, cfg.env, url));
    print(`✓ Alert destination ${how} for "${cfg.env}" (${new URL(url).host}).`);
  }
  const box = (await findInstances(clients.ec2, cfg.env)).find((i) => i.state === 'running');
  if (!box) {
    if (cfg.test) throw new OperatorError(`No running box for "${cfg.env}", so no alert engine to send a test alert.`, 'Provision it (`npm run provision`), then `npm run alerts -- --test`.');
    print('No running box: it reads the destination at its next start.');
    return;
  }
  const run = ssmRunner(clients.ssm, box.id, { clock: deps.clock });
  if (cfg.webhook !== undefined) await applyWebhook(run, progress);
  if (cfg.test) print(`✓ ${await sendTestAlert(run, progress)}`);
}

await runWhenEntry(import.meta.url, main);
