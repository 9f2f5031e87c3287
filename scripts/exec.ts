// npm run exec [-- --env <name>] -- <compose subcommand> [args...]: one docker compose command on the box, through SSM.
import { randomBytes } from 'node:crypto';
import { requireRunningInstance } from './lib/aws/environment.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { helpText, loadConfig, processSources } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { execCommand, execFields, execSchema, splitExecArgv } from './lib/exec/config.js';
import { checkComposeWords } from './lib/exec/plan.js';
import { remoteExitLine, runComposeCommand } from './lib/exec/run.js';

await runCli(async (argv) => {
  const { own, words } = splitExecArgv(argv, execFields);
  const cfg = await loadConfig(execFields, execSchema, processSources(own), systemGit(), { timeout: '120' });
  if (cfg.help) return void process.stdout.write(helpText(execCommand));
  checkComposeWords(words);
  const clients = createAwsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const result = await runComposeCommand(ssmRunner(clients.ssm, instance.id), words, { id: randomBytes(8).toString('hex'), timeoutSeconds: cfg.timeout });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  if (result.exitCode !== 0) {
    process.stderr.write(remoteExitLine(words, result.exitCode));
    process.exitCode = result.exitCode;
  }
});
