// npm run session: an interactive shell on the box through SSM Session Manager (no SSH).
import { requireRunningInstance } from './lib/aws/environment.js';
import { openShell, systemProbe, terminalSpawner, type SessionDeps } from './lib/box/session-manager.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { commonSchema, helpText, loadConfig } from './lib/core/config.js';
import { sessionCommand, sessionFields } from './lib/session/config.js';

/** The local programs a session runs: the AWS CLI and its plugin hold the terminal. */
export type SessionTerminal = { terminal: Omit<SessionDeps, 'print'> };

export async function main(argv: string[], deps: CliDeps & SessionTerminal): Promise<void> {
  const cfg = await loadConfig(sessionFields, commonSchema, sourcesOf(argv, deps), deps.git);
  if (cfg.help) return void deps.stdout.write(helpText(sessionCommand));
  const clients = deps.awsClients(cfg.region);
  const region = await resolveRegion(clients);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, region);
  await openShell({ ...deps.terminal, print: (t) => deps.stderr.write(t) }, { instanceId: instance.id, region });
}

await runWhenEntry(import.meta.url, main, { terminal: { probe: systemProbe, spawn: terminalSpawner } });
