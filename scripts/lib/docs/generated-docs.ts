// The files that hold text generated from the commands' field tables, and how each is rendered.
import { COMMANDS } from './commands.js';
import { renderEnvExample } from './env-example.js';
import { renderFlagTables } from './flag-tables.js';

/** The commands reference, which holds every command's flag table. */
export const COMMANDS_DOC = 'docs/commands.md';

export interface GeneratedDoc {
  /** Path from the repository root. */
  file: string;
  render: (text: string) => string;
}

export const GENERATED_DOCS: readonly GeneratedDoc[] = [
  { file: COMMANDS_DOC, render: (text) => renderFlagTables(text, COMMANDS, COMMANDS_DOC) },
  { file: '.env.example', render: (text) => renderEnvExample(text, COMMANDS) },
];
