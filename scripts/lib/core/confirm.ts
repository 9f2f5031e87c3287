// Asking the operator before a destructive step: on a terminal, or not at all with --yes
// (or in CI); without a terminal and without --yes, the command stops and says so.
import { question } from 'zx';
import { OperatorError } from './operator-error.js';

/** Asks on the terminal; only y or yes goes on. */
export const askOnTerminal = async (q: string): Promise<boolean> => /^y(es)?$/i.test((await question(`${q} [y/N] `)).trim());

export const terminalConfirm =
  (command: string, { yes, ci }: { yes: boolean; ci: boolean }) =>
  async (q: string): Promise<boolean> => {
    if (yes || ci) return true;
    if (!process.stdin.isTTY) throw new OperatorError(`${command} needs a confirmation and there is no terminal to ask.`, 'Pass --yes.');
    return askOnTerminal(q);
  };
