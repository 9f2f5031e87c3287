// The commands reference's flag tables (docs/commands.md): one block per command, rendered from the
// field table its `--help` prints, between `<!-- flags:<command> -->` and `<!-- /flags:<command> -->`.
import { flagLabel, type Command } from '../core/config.js';
import { OperatorError } from '../core/operator-error.js';
import { blockNames, replaceBlock, type Markers } from './generated-block.js';

const OPEN = '<!-- flags:';
const END = ' -->';

export const flagMarkers = (command: string): Markers => ({ open: `${OPEN}${command}${END}`, close: `<!-- /flags:${command}${END}` });

/** A table cell: pipes would end the cell early. */
const cell = (text: string): string => text.replaceAll('|', '\\|');

/** The markdown table of a command's flags, one row per flag, in the order `--help` lists them. */
export function flagTable(command: Command): string {
  const rows = Object.values(command.fields).map((f) => `| \`${flagLabel(f)}\` | ${f.env ? `\`${f.env}\`` : ''} | ${cell(f.description)} |`);
  return ['| Flag | Env | What it does |', '|---|---|---|', ...rows, ''].join('\n');
}

/** `text` (the file `file`) with every command's block rewritten; a missing block or one for no command stops it. */
export function renderFlagTables(text: string, commands: readonly Command[], file: string): string {
  const known = new Set(commands.map((c) => c.name));
  const stray = blockNames(text, OPEN, END).filter((name) => !known.has(name));
  if (stray.length > 0) {
    throw new OperatorError(`${file} has a flags block for ${stray.join(', ')}, which is no command.`, 'Remove the block, or add the command to scripts/lib/docs/commands.ts.');
  }
  return commands.reduce((acc, command) => replaceBlock(acc, flagMarkers(command.name), flagTable(command), file), text);
}
