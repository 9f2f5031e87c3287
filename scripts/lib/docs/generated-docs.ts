// The files that hold text generated from the commands' field tables, and how each is rendered.
import { COMMANDS } from './commands.js';
import { renderEnvExample } from './env-example.js';
import { renderReadmeFlags } from './flag-tables.js';

export interface GeneratedDoc {
  /** Path from the repository root. */
  file: string;
  render: (text: string) => string;
}

export const GENERATED_DOCS: readonly GeneratedDoc[] = [
  { file: 'README.md', render: (text) => renderReadmeFlags(text, COMMANDS) },
  { file: '.env.example', render: (text) => renderEnvExample(text, COMMANDS) },
];
