// npm run exec [-- --env <name>] -- <compose subcommand> [args...]: one docker compose command on the box, through SSM.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { requireRunningInstance } from './lib/aws/environment.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { commonFields, commonSchema, loadConfig, processSources, usage } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { splitExecArgv } from './lib/exec/config.js';
import { checkComposeWords, EXEC_SUBCOMMANDS } from './lib/exec/plan.js';
import { remoteExitLine, runComposeCommand } from './lib/exec/run.js';

const MAX_TIMEOUT_SECONDS = 3600;
const fields = {
  env: commonFields.env,
  region: commonFields.region,
  timeout: { flag: 'timeout', description: `seconds the command may run on the box (default 120, at most ${MAX_TIMEOUT_SECONDS})` },
  debug: commonFields.debug,
  help: commonFields.help,
};
const schema = commonSchema.extend({
  timeout: z.coerce.number({ error: `expected a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}` }).int().min(1).max(MAX_TIMEOUT_SECONDS),
});
const SUMMARY = [
  'Runs one docker compose command on the box through SSM Run Command and exits with its exit code.',
  'The compose words come last: `npm run exec -- ps`, `npm run exec -- --env main -- exec app node -v`.',
  `Subcommands: ${Object.keys(EXEC_SUBCOMMANDS).join(', ')}.`,
].join('\n');

await runCli(async (argv) => {
  const { own, words } = splitExecArgv(argv, fields);
  const cfg = await loadConfig(fields, schema, processSources(own), systemGit(), { timeout: '120' });
  if (cfg.help) return void process.stdout.write(usage('exec', SUMMARY, fields));
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
