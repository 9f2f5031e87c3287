// The flag tables of docs/commands.md and the CLI part of .env.example are generated from the same field
// tables as --help; these checks fail when a flag changed and `npm run docs:flags` was not run.
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { COMMANDS } from '../../../scripts/lib/docs/commands.js';
import { GENERATED_DOCS } from '../../../scripts/lib/docs/generated-docs.js';
import { typescriptFiles } from '../../github/aws-sdk-actions.js';
import { cliScripts, root } from './cli-scripts.js';

const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8');

describe('the generated docs', () => {
  for (const { file, render } of GENERATED_DOCS) {
    it(`${file} holds what npm run docs:flags writes`, () => {
      const have = read(file).split('\n');
      const want = render(have.join('\n')).split('\n');
      // From the first line that differs, a few lines of each, so a failure shows what changed.
      const at = want.findIndex((line, i) => line !== have[i]);
      const from = at < 0 ? want.length : at;
      expect(have.slice(from, from + 3), `${file} is stale from line ${from + 1}: run \`npm run docs:flags\``).to.deep.equal(want.slice(from, from + 3));
      expect(have.length, `${file} has extra lines: run \`npm run docs:flags\``).to.equal(want.length);
    });
  }

  it('cover every npm script that runs a CLI entry file, and nothing else', () => {
    const scripts = cliScripts();
    expect(scripts.size, 'the check looks at something').to.be.greaterThan(10);
    expect(COMMANDS.map((c) => c.name).sort(), 'scripts/lib/docs/commands.ts lists the commands of package.json').to.deep.equal([...scripts.keys()].sort());
  });
});

describe('the flags each command takes', () => {
  /** The entry file and the command's own lib folder: where its settings are read. */
  const sourceOf = (name: string): string => {
    const file = cliScripts().get(name) as string;
    return [`${root}${file}`, ...typescriptFiles(`${root}scripts/lib/${name}`)].filter((path) => existsSync(path)).map((path) => readFileSync(path, 'utf8')).join('\n');
  };

  for (const key of ['json', 'plan', 'replace']) {
    it(`include --${key} exactly where the command's code reads it`, () => {
      const mismatched = COMMANDS.filter((c) => (key in c.fields) !== new RegExp(`\\bcfg\\.${key}\\b`).test(sourceOf(c.name))).map((c) => `${c.name}: ${key in c.fields ? 'takes it, never reads it' : 'reads it, does not take it'}`);
      expect(mismatched).to.deep.equal([]);
    });
  }

  it('include --debug and --help everywhere (runCli prints the stack trace for --debug, whatever the command)', () => {
    const missing = COMMANDS.filter((c) => !('debug' in c.fields && 'help' in c.fields)).map((c) => c.name);
    expect(missing).to.deep.equal([]);
  });
});
