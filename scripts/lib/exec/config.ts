// How `npm run exec` reads its command line: pillbox's own flags first, then the compose
// words, which start at the first bare word (or after `--`) and are passed on untouched,
// so `npm run exec -- exec app node -v` keeps its `-v` for the container.
import type { Fields } from '../core/config.js';

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
