// The files that hold generated text (from the commands' field tables, or the CLI's IAM
// policy in its two reaches), and how each is rendered.
import { CI_REACH, cliPolicy, OPERATOR_REACH, renderPolicy } from '../aws/cli-policy.js';
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
  { file: 'docs/deploy-role-policy.json', render: () => renderPolicy(cliPolicy(CI_REACH)) },
  { file: 'docs/operator-policy.json', render: () => renderPolicy(cliPolicy(OPERATOR_REACH)) },
];
