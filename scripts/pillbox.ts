#!/usr/bin/env node
// `npx pillbox <command> [flags]`: the flags reach the command as typed (`npm run logs --tail 3`
// would hand `--tail` to npm). Node runs this file by stripping its types, so it imports nothing of
// ours before tsx is registered; the command's own entry file then runs as `npm run <command>` runs it.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

// Run from the package's folder, as `npm run` does: `.env` and relative paths are the repository's,
// not those of the subfolder the operator stands in.
process.chdir(fileURLToPath(new URL('..', import.meta.url)));
register();
const { COMMANDS } = await import('./lib/docs/commands.js');
const { commandList, pickCommand } = await import('./lib/core/cli-bin.js');

const [name, ...rest] = process.argv.slice(2);
const picked = pickCommand(COMMANDS, name);
if (picked.kind === 'list') {
  process.stdout.write(commandList(COMMANDS));
} else if (picked.kind === 'unknown') {
  process.stderr.write(picked.message);
  process.exitCode = 1;
} else {
  const entry = fileURLToPath(new URL(`./${picked.command.name}.ts`, import.meta.url));
  // The entry reads its flags from process.argv, as it does under `npm run`.
  process.argv = [process.argv[0] as string, entry, ...rest];
  await import(pathToFileURL(entry).href);
}
