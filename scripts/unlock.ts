// npm run unlock [-- --env <name>] [--yes]: removes the environment's run lock after a provision or teardown was killed.
import { resolveRegion } from './lib/core/aws-clients.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { askYesNo, type Terminal } from './lib/core/confirm.js';
import { OperatorError } from './lib/core/operator-error.js';
import { unlockCommand, unlockFields, unlockSchema } from './lib/unlock/config.js';
import { unlockEnvironment } from './lib/unlock/run.js';

/** y or yes on a terminal; without one the operator must have said --yes. */
const askIfTerminal =
  (terminal: Terminal) =>
  async (text: string): Promise<boolean> => {
    if (!terminal.tty) throw new OperatorError('unlock needs a confirmation and there is no terminal to ask.', 'Pass --yes once you know the run holding the lock has ended.');
    return askYesNo(terminal.ask)(text);
  };

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const cfg = await loadConfig(unlockFields, unlockSchema, sourcesOf(argv, deps), deps.git);
  if (cfg.help) return void deps.stdout.write(helpText(unlockCommand));
  const clients = deps.awsClients(cfg.region);
  const region = await resolveRegion(clients);
  const print = (line: string): void => void deps.stdout.write(`${line}\n`);
  await unlockEnvironment({ ssm: clients.ssm, confirm: askIfTerminal(deps), print, now: deps.clock.now }, cfg.env, region, cfg.yes);
}

await runWhenEntry(import.meta.url, main);
