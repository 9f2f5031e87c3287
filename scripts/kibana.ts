// npm run kibana [-- --open]: forwards the box's Kibana (127.0.0.1:5601 there) to a free local port until Ctrl-C.
import { z } from 'zod';
import { requireRunningInstance } from './lib/aws/environment.js';
import { KIBANA_PORT } from './lib/box/layout.js';
import { pickLocalPort } from './lib/box/port-forward.js';
import { systemProbe, terminalSpawner } from './lib/box/session-manager.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { commonFields, commonSchema, flagSchema, loadConfig, processSources, usage } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { systemClipboard, systemOpener } from './lib/kibana/desktop.js';
import { openKibana } from './lib/kibana/open.js';

const fields = {
  ...commonFields,
  port: { flag: 'port', env: 'PILLBOX_KIBANA_LOCAL_PORT', description: `local port to use when free (default ${KIBANA_PORT}; else any free port)` },
  open: { flag: 'open', boolean: true, description: 'open the APM service and Uptime pages in the browser, the password on the clipboard' },
  showPassword: { flag: 'show-password', boolean: true, description: 'print the elastic password (read with your AWS credentials)' },
};
const schema = commonSchema.extend({
  port: z.coerce.number({ error: 'expected a port number from 1024 to 65535' }).int().min(1024).max(65535),
  open: flagSchema.default(false),
  showPassword: flagSchema.default(false),
});
const SUMMARY = "Port-forwards the box's Kibana through SSM and prints the URL and how to log in.";

await runCli(async (argv) => {
  const cfg = await loadConfig(fields, schema, processSources(argv), systemGit(), { port: String(KIBANA_PORT) });
  if (cfg.help) return void process.stdout.write(usage('kibana', SUMMARY, fields));
  const clients = createAwsClients(cfg.region);
  const region = await resolveRegion(clients);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, region);
  await openKibana(
    {
      probe: systemProbe,
      spawn: terminalSpawner,
      print: (t) => process.stdout.write(t),
      pickPort: pickLocalPort,
      ssm: clients.ssm,
      opener: systemOpener,
      clipboard: systemClipboard,
    },
    { instanceId: instance.id, region },
    cfg.env,
    cfg.port,
    { open: cfg.open, showPassword: cfg.showPassword },
  );
});
