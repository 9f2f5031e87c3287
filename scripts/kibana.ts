// npm run kibana [-- --open]: forwards the box's Kibana (127.0.0.1:5601 there) to a free local port until Ctrl-C.
import { requireRunningInstance } from './lib/aws/environment.js';
import { KIBANA_PORT } from './lib/box/layout.js';
import { pickLocalPort, waitForLocalPort } from './lib/box/port-forward.js';
import { systemProbe, terminalSpawner } from './lib/box/session-manager.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { kibanaCommand, kibanaFields, kibanaSchema } from './lib/kibana/config.js';
import { systemClipboard, systemOpener } from './lib/kibana/desktop.js';
import { openKibana, type OpenKibanaDeps } from './lib/kibana/open.js';

/** The local programs and ports the forward uses: the AWS CLI holds the terminal, the browser and clipboard are the desktop's. */
export type KibanaDesktop = { desktop: Omit<OpenKibanaDeps, 'print' | 'ssm'> };

export async function main(argv: string[], deps: CliDeps & KibanaDesktop): Promise<void> {
  const cfg = await loadConfig(kibanaFields, kibanaSchema, sourcesOf(argv, deps), deps.git, { port: String(KIBANA_PORT) });
  if (cfg.help) return void deps.stdout.write(helpText(kibanaCommand));
  const clients = deps.awsClients(cfg.region);
  const region = await resolveRegion(clients);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, region);
  await openKibana(
    { ...deps.desktop, print: (t) => deps.stdout.write(t), ssm: clients.ssm },
    { instanceId: instance.id, region },
    cfg.env,
    cfg.port,
    { open: cfg.open, showPassword: cfg.showPassword },
  );
}

await runWhenEntry(import.meta.url, main, {
  desktop: { probe: systemProbe, spawn: terminalSpawner, pickPort: pickLocalPort, waitForPort: waitForLocalPort, opener: systemOpener, clipboard: systemClipboard },
});
