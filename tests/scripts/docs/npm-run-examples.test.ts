// Every `npm run <command> ...` the docs show must work as typed: flags after `--` (before it,
// npm takes them as its own: `npm run status --json` sets npm's json option and the command
// never sees it), and only flags the command takes.
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { Command } from '../../../scripts/lib/core/config.js';
import { COMMANDS } from '../../../scripts/lib/docs/commands.js';
import { root } from './cli-scripts.js';

const DOCS = ['README.md', 'compose/README.md', ...readdirSync(`${root}docs`).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/**
 * Flags npm would take: those before a `--`. An optional group (`[-- --env <name>]`) may hold the
 * separator for the flags inside it only, so `[-- --env <name>] [--json]` leaves `--json` to npm
 * whenever the first group is left out.
 */
function flagsBeforeSeparator(words: string[]): string[] {
  const early: string[] = [];
  const separated = [false];
  for (const word of words) {
    const opens = word.startsWith('[');
    if (opens) separated.push(separated.at(-1) as boolean);
    const bare = word.replace(/^\[|\]$/g, '');
    if (bare === '--') separated[separated.length - 1] = true;
    else if (bare.startsWith('-') && !separated.at(-1)) early.push(bare);
    if (word.endsWith(']') && separated.length > 1) separated.pop();
  }
  return early;
}

/** What is wrong with each example in `text`: a flag npm would take, or a flag the command does not take. */
function exampleFaults(text: string, commands: readonly Command[]): string[] {
  const faults: string[] = [];
  // An example ends at a closing backtick, a line end, a shell comment or a table cell.
  // `npx pillbox <command> flags` hands every flag to the command, as `npm run <command> -- flags` does.
  for (const [example, runner = '', name = '', rest = ''] of text.matchAll(/(npm run|npx pillbox) ([\w:-]+)([^`\n#|]*)/g)) {
    const raw = [...(runner === 'npx pillbox' ? ['--'] : []), ...rest.split(/\s+/).filter(Boolean)];
    const early = flagsBeforeSeparator(raw);
    if (early.length > 0) faults.push(`${example.trim()}: ${early.join(' ')} before \`--\`, where npm takes it`);
    const fields = commands.find((c) => c.name === name)?.fields;
    const words = raw.map((w) => w.replace(/^\[|\]$/g, ''));
    const separator = words.indexOf('--');
    if (!fields || separator < 0) continue;
    const flags = new Map(Object.values(fields).map((f) => [`--${f.flag}`, f]));
    // The command's own flags run up to a second `--` or the first bare word (exec's compose words).
    for (let i = separator + 1; i < words.length; i += 1) {
      const word = words[i] as string;
      if (word === '--' || !word.startsWith('--')) break;
      const [flag = '', inline] = word.split('=');
      const field = flags.get(flag);
      if (!field) faults.push(`${example.trim()}: ${name} takes no ${flag}`);
      else if (!field.boolean && inline === undefined) i += 1;
    }
  }
  return faults;
}

describe('the npm run examples in the docs', () => {
  it('find a flag before `--` and a flag the command does not take (the check can fail)', () => {
    expect(exampleFaults('`npm run status [-- --env <name>] [--json]`', COMMANDS)).to.deep.equal(['npm run status [-- --env <name>] [--json]: --json before `--`, where npm takes it']);
    expect(exampleFaults('| `npm run status [-- --env <name> --json]` |', COMMANDS)).to.deep.equal([]);
    expect(exampleFaults('npm run logs [service] [-- --tail 200 --follow]', COMMANDS)).to.deep.equal([]);
    expect(exampleFaults('$ npm run session -- --env main --json', COMMANDS)).to.deep.equal(['npm run session -- --env main --json: session takes no --json']);
    expect(exampleFaults('npm run exec -- --env main -- exec app node --version', COMMANDS), 'compose words are not its flags').to.deep.equal([]);
    expect(exampleFaults('npx pillbox provision --plan', COMMANDS)).to.deep.equal([]);
    expect(exampleFaults('npx pillbox session --json', COMMANDS)).to.deep.equal(['npx pillbox session --json: session takes no --json']);
  });

  it('name only npm scripts package.json has, in the docs, .env.example and the CLI\'s own messages', () => {
    const scripts = new Set(Object.keys((JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts));
    const cli = readdirSync(`${root}scripts`, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => `scripts/${f}`);
    const unknown = [...DOCS, '.env.example', ...cli].flatMap((file) =>
      [...readFileSync(`${root}${file}`, 'utf8').matchAll(/npm run ([a-z][\w:-]*\w)/g)].filter(([, name]) => !scripts.has(name!)).map(([example]) => `${file}: ${example}`),
    );
    expect(unknown).to.deep.equal([]);
  });

  it('put every flag after `--`, and only flags the command takes', () => {
    const faults = DOCS.flatMap((file) => exampleFaults(readFileSync(`${root}${file}`, 'utf8'), COMMANDS).map((f) => `${file}: ${f}`));
    expect(faults).to.deep.equal([]);
  });
});
