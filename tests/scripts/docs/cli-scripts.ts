// The npm scripts that run an entry file of the operator CLI, read from package.json.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** name → entry file. The docs generator is a tool, not a command. */
export function cliScripts(): Map<string, string> {
  const scripts = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
  const entries = Object.entries(scripts)
    .filter(([name]) => name !== 'docs:flags')
    .flatMap(([name, command]) => {
      const file = /^tsx (scripts\/[\w-]+\.ts)$/.exec(command)?.[1];
      return file ? [[name, file] as const] : [];
    });
  return new Map(entries);
}
