// What `npm run exec` may run on the box, and the command it sends.
//
// Every word is quoted once by the SSM runner, so no word can reach the shell as syntax;
// the allow-list is not a security boundary (SendCommand already means root on the box).
// It keeps exec to compose subcommands that end on their own (Run Command has no
// terminal and a timeout) and that leave the stack's shape to deploy and provision.
import { composeArgv } from '../box/compose.js';
import { OperatorError } from '../core/operator-error.js';

/** Compose subcommands exec runs, with what each is for (shown when one is refused). */
export const EXEC_SUBCOMMANDS: Readonly<Record<string, string>> = {
  ps: 'list the containers',
  logs: 'print logs (not --follow)',
  top: 'list the processes in each container',
  stats: 'resource use, with --no-stream',
  images: 'list the images in use',
  config: 'print the resolved compose file',
  port: 'print a published port',
  ls: 'list compose projects',
  version: 'print the compose version',
  exec: 'run a command in a running container',
  restart: 'restart services',
  stop: 'stop services',
  start: 'start stopped services',
};

const SESSION_HINT = '`npm run session` opens a shell on the box for anything else.';
const allowed = (): string => Object.keys(EXEC_SUBCOMMANDS).join(', ');

/** A flag among the words, long (`--follow`, `--follow=true`) or in a short cluster (`-f`, `-tf`). */
function hasFlag(words: readonly string[], long: string, short?: string): boolean {
  return words.some(
    (w) => w === `--${long}` || (w.startsWith(`--${long}=`) && w !== `--${long}=false`) || (short !== undefined && /^-[A-Za-z]+$/.test(w) && w.includes(short)),
  );
}

/** Refuses, with one line naming the fix, whatever exec should not run; returns the words otherwise. */
export function checkComposeWords(words: readonly string[]): readonly string[] {
  const [subcommand, ...rest] = words;
  if (subcommand === undefined) {
    throw new OperatorError('No compose command given.', 'Pass one after --, e.g. `npm run exec -- ps` or `npm run exec -- exec app node -v`.');
  }
  if (subcommand.startsWith('-')) {
    throw new OperatorError(
      `Compose options before the subcommand (${subcommand}) are not passed on: exec sets the project, file and env files itself.`,
      'Start with the subcommand, e.g. `npm run exec -- ps --all`.',
    );
  }
  if (!Object.hasOwn(EXEC_SUBCOMMANDS, subcommand)) {
    throw new OperatorError(`exec does not run \`docker compose ${subcommand}\`.`, `It runs: ${allowed()}. \`npm run deploy\` changes what runs; ${SESSION_HINT}`);
  }
  if (subcommand === 'logs' && hasFlag(rest, 'follow', 'f')) {
    throw new OperatorError('`docker compose logs --follow` never ends, and exec waits for the end.', 'Use `npm run logs -- --follow`.');
  }
  if (subcommand === 'stats' && !hasFlag(rest, 'no-stream')) {
    throw new OperatorError('`docker compose stats` streams until stopped, and exec waits for the end.', 'Add --no-stream: `npm run exec -- stats --no-stream`.');
  }
  return words;
}

/** The argv sent to the box: the one compose invocation with the operator's words after it. */
export const execCommand = (words: readonly string[]): string[] => composeArgv(...checkComposeWords(words));
