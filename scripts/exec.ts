// npm run exec [-- --env <name>] -- <compose subcommand> [args...]: one docker compose command on the box, through SSM.
import { requireRunningInstance } from './lib/aws/environment.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { execCommand, execFields, execSchema, splitExecArgv } from './lib/exec/config.js';
import { checkComposeWords } from './lib/exec/plan.js';
import { remoteExitLine, runComposeCommand } from './lib/exec/run.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const { own, words } = splitExecArgv(argv, execFields);
  const cfg = await loadConfig(execFields, execSchema, sourcesOf(own, deps), deps.git, { timeout: '120' });
  if (cfg.help) return void deps.stdout.write(helpText(execCommand));
  checkComposeWords(words);
  const clients = deps.awsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const result = await runComposeCommand(ssmRunner(clients.ssm, instance.id, { clock: deps.clock }), words, { id: deps.newId(), timeoutSeconds: cfg.timeout });
  deps.stdout.write(result.stdout);
  deps.stderr.write(result.stderr);
  if (result.exitCode !== 0) {
    deps.stderr.write(remoteExitLine(words, result.exitCode));
    process.exitCode = result.exitCode;
  }
}

await runWhenEntry(import.meta.url, main);
