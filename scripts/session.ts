// npm run session: an interactive shell on the box through SSM Session Manager (no SSH).
import { requireRunningInstance } from './lib/aws/environment.js';
import { openShell, systemProbe, terminalSpawner } from './lib/box/session-manager.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { commonSchema, helpText, loadConfig, processSources } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { sessionCommand, sessionFields } from './lib/session/config.js';

await runCli(async (argv) => {
  const cfg = await loadConfig(sessionFields, commonSchema, processSources(argv), systemGit());
  if (cfg.help) return void process.stdout.write(helpText(sessionCommand));
  const clients = createAwsClients(cfg.region);
  const region = await resolveRegion(clients);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, region);
  await openShell({ probe: systemProbe, spawn: terminalSpawner, print: (t) => process.stderr.write(t) }, { instanceId: instance.id, region });
});
