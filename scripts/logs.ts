// npm run logs [service] [-- --tail N --since 15m]: the last lines of one or all compose services on the box.
import { randomBytes } from 'node:crypto';
import { requireRunningInstance } from './lib/aws/environment.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { commonFields, commonSchema, loadConfig, processSources, usage } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { serviceAsFlag, serviceSchema, sinceSchema, tailSchema } from './lib/logs/config.js';
import { fetchLogs } from './lib/logs/run.js';

const fields = {
  ...commonFields,
  service: { flag: 'service', description: 'one compose service (also the first bare argument; default: all)' },
  tail: { flag: 'tail', env: 'PILLBOX_LOGS_TAIL', description: 'lines per service, or all (default 200)' },
  since: { flag: 'since', description: 'only lines newer than this: 15m, 2h, or 2026-11-22T10:00:00Z' },
};
const schema = commonSchema.extend({ service: serviceSchema.optional(), tail: tailSchema, since: sinceSchema.optional() });
const SUMMARY = 'Prints the last lines of one or all compose services on the box, read in full through SSM.';

await runCli(async (argv) => {
  const cfg = await loadConfig(fields, schema, processSources(serviceAsFlag(argv)), systemGit(), { tail: '200' });
  if (cfg.help) return void process.stdout.write(usage('logs', SUMMARY, fields));
  const clients = createAwsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const text = await fetchLogs(ssmRunner(clients.ssm, instance.id), { service: cfg.service, tail: cfg.tail, since: cfg.since }, randomBytes(8).toString('hex'));
  process.stdout.write(text);
});
