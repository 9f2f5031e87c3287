// npm run kibana [-- --open]: forwards the box's Kibana (127.0.0.1:5601 there) to a free local port until Ctrl-C.
import { requireRunningInstance } from './lib/aws/environment.js';
import { KIBANA_PORT } from './lib/box/layout.js';
import { pickLocalPort } from './lib/box/port-forward.js';
import { systemProbe, terminalSpawner } from './lib/box/session-manager.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { helpText, loadConfig, processSources } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { kibanaCommand, kibanaFields, kibanaSchema } from './lib/kibana/config.js';
import { systemClipboard, systemOpener } from './lib/kibana/desktop.js';
import { openKibana } from './lib/kibana/open.js';

await runCli(async (argv) => {
  const cfg = await loadConfig(kibanaFields, kibanaSchema, processSources(argv), systemGit(), { port: String(KIBANA_PORT) });
  if (cfg.help) return void process.stdout.write(helpText(kibanaCommand));
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
