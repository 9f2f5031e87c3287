// How `npm run exec` reads its command line: pillbox's own flags first, then the compose
// words, which start at the first bare word (or after `--`) and are passed on untouched,
// so `npm run exec -- exec app node -v` keeps its `-v` for the container. It passes the
// command's own output through, so it has no --json.
import { z } from 'zod';
import { commonFields, commonSchema, type Command, type Fields } from '../core/config.js';
import { EXEC_SUBCOMMANDS } from './plan.js';

const MAX_TIMEOUT_SECONDS = 3600;

export const execFields = {
  env: commonFields.env,
  region: commonFields.region,
  timeout: { flag: 'timeout', description: `seconds the command may run on the box (default 120, at most ${MAX_TIMEOUT_SECONDS})` },
  debug: commonFields.debug,
  help: commonFields.help,
};

export const execSchema = commonSchema.extend({
  timeout: z.coerce.number({ error: `expected a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}` }).int().min(1).max(MAX_TIMEOUT_SECONDS),
});

export const execCommand: Command = {
  name: 'exec',
  summary: [
    'Runs one docker compose command on the box through SSM Run Command and exits with its exit code.',
    'The compose words come last: `npm run exec -- ps`, `npm run exec -- --env main -- exec app node -v`.',
    `Subcommands: ${Object.keys(EXEC_SUBCOMMANDS).join(', ')}.`,
  ].join('\n'),
  fields: execFields,
};

export interface ExecArgv {
  /** pillbox's flags, for the usual config parser. */
  own: string[];
  /** The compose subcommand and its arguments. */
  words: string[];
}

export function splitExecArgv(argv: readonly string[], fields: Fields): ExecArgv {
  const takesValue = new Set(Object.values(fields).filter((f) => !f.boolean).map((f) => `--${f.flag}`));
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] as string;
    if (token === '--') return { own: argv.slice(0, i), words: argv.slice(i + 1) };
    if (!token.startsWith('-')) return { own: argv.slice(0, i), words: argv.slice(i) };
    if (takesValue.has(token)) i += 1;
  }
  return { own: [...argv], words: [] };
}
