// Asking the operator before a destructive step: on a terminal, or not at all with --yes
// (or in CI); without a terminal and without --yes, the command stops and says so.
import { createInterface } from 'node:readline';
import { OperatorError } from './operator-error.js';

/**
 * Asks on the terminal; only y or yes goes on, Enter or end of input is no. Readline keeps the
 * terminal raw while it asks, so Ctrl-C reaches it as a key, never as the process's SIGINT: it is
 * handled here and ends the command (every question comes before the command changes anything).
 */
export const askOnTerminal = (q: string): Promise<boolean> =>
  new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    rl.on('SIGINT', () => {
      process.stdout.write('\n');
      reject(new OperatorError('Aborted at the question; nothing was changed.', 'Run the command again when you want to go on.'));
      rl.close();
    });
    // Settled first, closed after: closing settles an unanswered question as no.
    rl.on('close', () => resolve(false));
    rl.question(`${q} [y/N] `, (answer) => {
      resolve(/^y(es)?$/i.test(answer.trim()));
      rl.close();
    });
  });

export const terminalConfirm =
  (command: string, { yes, ci }: { yes: boolean; ci: boolean }) =>
  async (q: string): Promise<boolean> => {
    if (yes || ci) return true;
    if (!process.stdin.isTTY) throw new OperatorError(`${command} needs a confirmation and there is no terminal to ask.`, 'Pass --yes.');
    return askOnTerminal(q);
  };
