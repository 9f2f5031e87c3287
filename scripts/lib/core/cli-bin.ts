// What `npx pillbox` runs: a command by name, or the list of commands.
import type { Command } from './config.js';

export type Picked = { kind: 'run'; command: Command } | { kind: 'list' } | { kind: 'unknown'; message: string };

/** The command named first on the line; none, `help` or `--help` lists them all. */
export function pickCommand(commands: readonly Command[], name: string | undefined): Picked {
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return { kind: 'list' };
  const command = commands.find((c) => c.name === name);
  if (command) return { kind: 'run', command };
  return { kind: 'unknown', message: `✖ pillbox has no command "${name}".\n  → Use one of: ${commands.map((c) => c.name).join(', ')} (npx pillbox --help lists them).\n` };
}

/** `npx pillbox --help`: every command and what it does. */
export function commandList(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: npx pillbox <command> [options]   (or npm run <command> -- [options])',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${firstSentence(c.summary)}`),
    '',
    'npx pillbox <command> --help shows its options.',
    '',
  ].join('\n');
}

/** A summary's first sentence: the list keeps one line per command. */
const firstSentence = (summary: string): string => (summary.split('\n')[0] as string).split(/(?<=\.) /)[0] as string;
