// npm run logs [service] [-- --tail N --since 15m --follow]: the last lines of one or all compose services on the box.
import { randomBytes } from 'node:crypto';
import { requireRunningInstance } from './lib/aws/environment.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { commonFields, commonSchema, flagSchema, loadConfig, processSources, usage } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { serviceAsFlag, serviceSchema, sinceSchema, tailSchema } from './lib/logs/config.js';
import { FOLLOW_INTERVAL_MS, followLogs } from './lib/logs/follow.js';
import { fetchLogs } from './lib/logs/run.js';

const fields = {
  ...commonFields,
  service: { flag: 'service', description: 'one compose service (also the first bare argument; default: all)' },
  tail: { flag: 'tail', env: 'PILLBOX_LOGS_TAIL', description: 'lines per service, or all (default 200)' },
  since: { flag: 'since', description: 'only lines newer than this: 15m, 2h, or 2026-11-22T10:00:00Z' },
  follow: { flag: 'follow', boolean: true, description: `keep printing new lines (asks the box every ${FOLLOW_INTERVAL_MS / 1000}s) until Ctrl-C` },
};
const schema = commonSchema.extend({ service: serviceSchema.optional(), tail: tailSchema, since: sinceSchema.optional(), follow: flagSchema.default(false) });
const SUMMARY = 'Prints the last lines of one or all compose services on the box, read in full through SSM.';

await runCli(async (argv) => {
  const cfg = await loadConfig(fields, schema, processSources(serviceAsFlag(argv)), systemGit(), { tail: '200' });
  if (cfg.help) return void process.stdout.write(usage('logs', SUMMARY, fields));
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
