// npm run logs [service] [-- --tail N --since 15m --follow]: the last lines of one or all compose services on the box.
import { requireRunningInstance } from './lib/aws/environment.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { logsCommand, logsFields, logsSchema, serviceAsFlag } from './lib/logs/config.js';
import { followLogs } from './lib/logs/follow.js';
import { fetchLogs } from './lib/logs/run.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const cfg = await loadConfig(logsFields, logsSchema, sourcesOf(serviceAsFlag(argv), deps), deps.git, { tail: '200' });
  if (cfg.help) return void deps.stdout.write(helpText(logsCommand));
  const clients = deps.awsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const run = ssmRunner(clients.ssm, instance.id, { clock: deps.clock });
  const request = { service: cfg.service, tail: cfg.tail, since: cfg.since };
  if (!cfg.follow) return void deps.stdout.write(await fetchLogs(run, request, deps.newId()));
  // The first Ctrl-C ends the loop after the poll under way; a second one exits at once.
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  process.once('SIGINT', onInterrupt);
  deps.stderr.write(`Following the logs of ${cfg.service ?? 'every service'} on ${instance.id}; Ctrl-C stops.\n`);
  try {
    await followLogs({ run, print: (t) => deps.stdout.write(t), newId: deps.newId, signal: stop.signal, sleep: deps.clock.sleep }, request);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

await runWhenEntry(import.meta.url, main);
