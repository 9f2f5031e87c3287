// npm run logs [service] [-- --tail N --since 15m --follow]: the last lines of one or all compose services on the box.
import { randomBytes } from 'node:crypto';
import { requireRunningInstance } from './lib/aws/environment.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { helpText, loadConfig, processSources } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { logsCommand, logsFields, logsSchema, serviceAsFlag } from './lib/logs/config.js';
import { followLogs } from './lib/logs/follow.js';
import { fetchLogs } from './lib/logs/run.js';

await runCli(async (argv) => {
  const cfg = await loadConfig(logsFields, logsSchema, processSources(serviceAsFlag(argv)), systemGit(), { tail: '200' });
  if (cfg.help) return void process.stdout.write(helpText(logsCommand));
  const clients = createAwsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const run = ssmRunner(clients.ssm, instance.id);
  const request = { service: cfg.service, tail: cfg.tail, since: cfg.since };
  const newId = (): string => randomBytes(8).toString('hex');
  if (!cfg.follow) return void process.stdout.write(await fetchLogs(run, request, newId()));
  // The first Ctrl-C ends the loop after the poll under way; a second one exits at once.
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.stderr.write(`Following the logs of ${cfg.service ?? 'every service'} on ${instance.id}; Ctrl-C stops.\n`);
  await followLogs({ run, print: (t) => process.stdout.write(t), newId, signal: stop.signal }, request);
});
