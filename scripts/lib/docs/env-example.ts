// The operator CLI's part of `.env.example`: every variable a command reads, who reads it (which
// commands, through which flag) and what it means, rendered from the commands' field tables.
import type { Command, Field } from '../core/config.js';
import { replaceBlock, type Markers } from './generated-block.js';

export const ENV_MARKERS: Markers = { open: '# flags:env', close: '# /flags:env' };

const WIDTH = 100;

/** A comment wrapped at WIDTH columns, continuation lines indented under the first. */
function comment(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(' ')) {
    const fresh = line === '#' || line === '#  ';
    if (!fresh && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = '#  ';
    }
    line = `${line} ${word}`;
  }
  return [...lines, line];
}

/** The readers of each variable, in the order the commands and their flags are listed. */
function readersByVariable(commands: readonly Command[]): Map<string, { command: string; field: Field }[]> {
  const byVariable = new Map<string, { command: string; field: Field }[]>();
  for (const command of commands) {
    for (const field of Object.values(command.fields)) {
      if (!field.env) continue;
      byVariable.set(field.env, [...(byVariable.get(field.env) ?? []), { command: command.name, field }]);
    }
  }
  return byVariable;
}

/** One entry per variable: a line per meaning (commands sharing a flag and description share it), then `# NAME=`. */
export function envLines(commands: readonly Command[]): string {
  const out: string[] = [];
  for (const [variable, readers] of readersByVariable(commands)) {
    const meanings = new Map<string, string[]>();
    for (const { command, field } of readers) {
      const meaning = `--${field.flag}: ${field.description}.`;
      meanings.set(meaning, [...(meanings.get(meaning) ?? []), command]);
    }
    for (const [meaning, names] of meanings) out.push(...comment(`${names.join(', ')} ${meaning}`));
    out.push(`# ${variable}=`);
  }
  return `${out.join('\n')}\n`;
}

export const renderEnvExample = (text: string, commands: readonly Command[]): string => replaceBlock(text, ENV_MARKERS, envLines(commands), '.env.example');
