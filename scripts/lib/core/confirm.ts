// Asking the operator before a destructive step: on a terminal, or not at all with --yes
// (or in CI); without a terminal and without --yes, the command stops and says so.
import { createInterface } from 'node:readline';
import { OperatorError } from './operator-error.js';

/** The terminal a question is asked on (the entry's injected one). */
export interface Terminal {
  tty: boolean;
  ask: (q: string) => Promise<string>;
}

/**
 * Reads one answer on the terminal; end of input is an empty answer. Readline keeps the terminal
 * raw while it asks, so Ctrl-C reaches it as a key, never as the process's SIGINT: it is handled
 * here and ends the command (every question comes before the command changes anything).
 */
export const readAnswer = (q: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    rl.on('SIGINT', () => {
      process.stdout.write('\n');
      reject(new OperatorError('Aborted at the question; nothing was changed.', 'Run the command again when you want to go on.'));
      rl.close();
    });
    // Settled first, closed after: closing settles an unanswered question as no answer.
    rl.on('close', () => resolve(''));
    rl.question(q, (answer) => {
      resolve(answer);
      rl.close();
    });
  });

/** Only y or yes goes on; Enter or end of input is no. */
const isYes = (answer: string): boolean => /^y(es)?$/i.test(answer.trim());

/** A yes/no question over a terminal's `ask`. */
export const askYesNo =
  (ask: Terminal['ask']) =>
  async (q: string): Promise<boolean> =>
    isYes(await ask(`${q} [y/N] `));

export const askOnTerminal = askYesNo(readAnswer);

export const terminalConfirm =
  (command: string, { yes, ci }: { yes: boolean; ci: boolean }, terminal: Terminal) =>
  async (q: string): Promise<boolean> => {
    if (yes || ci) return true;
    if (!terminal.tty) throw new OperatorError(`${command} needs a confirmation and there is no terminal to ask.`, 'Pass --yes.');
    return askYesNo(terminal.ask)(q);
  };
