// npm run docs:flags: rewrites the flag tables of docs/commands.md and the CLI part of .env.example from
// the commands' field tables (the ones --help prints), and the two IAM policy documents from
// scripts/lib/aws/cli-policy.ts. Run it after changing a flag or the policy.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runWhenEntry, type CliDeps } from './lib/core/cli.js';
import { GENERATED_DOCS } from './lib/docs/generated-docs.js';

export async function main(_argv: string[], deps: CliDeps): Promise<void> {
  // Everything is rendered before anything is written, so a missing block leaves every file as it was.
  const files = GENERATED_DOCS.map(({ file, render }) => {
    const path = join(deps.repoDir, file);
    const before = readFileSync(path, 'utf8');
    return { file, path, before, after: render(before) };
  });
  for (const { file, path, before, after } of files) {
    if (after !== before) writeFileSync(path, after);
    deps.stdout.write(`${after === before ? 'unchanged' : 'rewrote'} ${file}\n`);
  }
}

await runWhenEntry(import.meta.url, main);
