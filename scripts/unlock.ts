// npm run unlock [-- --env <name>] [--yes]: removes the environment's run lock after a provision or teardown was killed.
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { helpText, loadConfig, processSources } from './lib/core/config.js';
import { askOnTerminal } from './lib/core/confirm.js';
import { systemGit } from './lib/core/git.js';
import { OperatorError, runCli } from './lib/core/operator-error.js';
import { unlockCommand, unlockFields, unlockSchema } from './lib/unlock/config.js';
import { unlockEnvironment } from './lib/unlock/run.js';

/** y or yes on a terminal; without one the operator must have said --yes. */
async function askIfTerminal(text: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new OperatorError('unlock needs a confirmation and there is no terminal to ask.', 'Pass --yes once you know the run holding the lock has ended.');
  return askOnTerminal(text);
}

await runCli(async (argv) => {
  const cfg = await loadConfig(unlockFields, unlockSchema, processSources(argv), systemGit());
  if (cfg.help) return void process.stdout.write(helpText(unlockCommand));
  const clients = createAwsClients(cfg.region);
  const region = await resolveRegion(clients);
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  await unlockEnvironment({ ssm: clients.ssm, confirm: askIfTerminal, print, now: Date.now }, cfg.env, region, cfg.yes);
});
