// Asking the operator before a destructive step: on a terminal, or not at all with --yes
// (or in CI); without a terminal and without --yes, the command stops and says so.
import { OperatorError } from './operator-error.js';

/** The terminal a question is asked on (the entry's injected one). */
export interface Terminal {
  tty: boolean;
  ask: (q: string) => Promise<string>;
}

export const terminalConfirm =
  (command: string, { yes, ci }: { yes: boolean; ci: boolean }, terminal: Terminal) =>
  async (q: string): Promise<boolean> => {
    if (yes || ci) return true;
    if (!terminal.tty) throw new OperatorError(`${command} needs a confirmation and there is no terminal to ask.`, 'Pass --yes.');
    return /^y(es)?$/i.test((await terminal.ask(`${q} [y/N] `)).trim());
  };
