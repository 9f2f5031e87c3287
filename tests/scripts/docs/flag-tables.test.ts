import { expect } from 'chai';
import type { Command } from '../../../scripts/lib/core/config.js';
import { envLines, renderEnvExample } from '../../../scripts/lib/docs/env-example.js';
import { replaceBlock } from '../../../scripts/lib/docs/generated-block.js';
import { flagTable, renderFlagTables } from '../../../scripts/lib/docs/flag-tables.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';

const aCommand = (name: string, fields: Command['fields']): Command => ({ name, summary: `${name} things`, fields });

const launch = aCommand('launch', {
  env: { flag: 'env', env: 'PILLBOX_ENV', description: 'environment name' },
  size: { flag: 'size', env: 'PILLBOX_SIZE', description: 'size in GiB (default 30)' },
  plan: { flag: 'plan', boolean: true, description: 'print the plan | change nothing' },
});
const look = aCommand('look', {
  env: { flag: 'env', env: 'PILLBOX_ENV', description: 'environment name' },
  only: { flag: 'only', env: 'PILLBOX_ENV', description: 'show only this environment' },
});

describe('the generated flag tables', () => {
  it('render one row per flag in --help order: the flag as typed, its variable, its description', () => {
    expect(flagTable(launch)).to.equal(
      [
        '| Flag | Env | What it does |',
        '|---|---|---|',
        '| `--env <value>` | `PILLBOX_ENV` | environment name |',
        '| `--size <value>` | `PILLBOX_SIZE` | size in GiB (default 30) |',
        '| `--plan` |  | print the plan \\| change nothing |',
        '',
      ].join('\n'),
    );
  });

  it("rewrite only the text between each command's markers", () => {
    const readme = ['# Title', '<!-- flags:launch -->', 'stale', '<!-- /flags:launch -->', 'prose', '<!-- flags:look -->', '<!-- /flags:look -->', ''].join('\n');
    const out = renderFlagTables(readme, [launch, look], 'docs/commands.md');
    expect(out).to.equal(['# Title', '<!-- flags:launch -->', flagTable(launch) + '<!-- /flags:launch -->', 'prose', '<!-- flags:look -->', flagTable(look) + '<!-- /flags:look -->', ''].join('\n'));
    expect(renderFlagTables(out, [launch, look], 'docs/commands.md'), 'a second run changes nothing').to.equal(out);
  });

  it('stop when a command has no block, naming the markers to add', () => {
    expect(() => renderFlagTables('<!-- flags:launch -->\n<!-- /flags:launch -->\n', [launch, look], 'docs/commands.md'))
      .to.throw(OperatorError, /^docs\/commands.md has no <!-- flags:look --> … <!-- \/flags:look --> block\.$/)
      .with.property('hint')
      .that.matches(/^Add the two marker lines where the block belongs, then run `npm run docs:flags` again/);
  });

  it('stop when a block names no command (a command removed or renamed)', () => {
    const readme = '<!-- flags:launch -->\n<!-- /flags:launch -->\n<!-- flags:gone -->\n<!-- /flags:gone -->\n';
    expect(() => renderFlagTables(readme, [launch], 'docs/commands.md')).to.throw(OperatorError, /^docs\/commands.md has a flags block for gone, which is no command\.$/);
  });

  it('stop when a block is opened and never closed', () => {
    expect(() => replaceBlock('<!-- flags:launch -->\ntext\n', { open: '<!-- flags:launch -->', close: '<!-- /flags:launch -->' }, 'x\n', 'README.md')).to.throw(OperatorError, /^README.md has no/);
  });
});

describe('the CLI part of .env.example', () => {
  it('lists each variable once, after a line per meaning naming the commands and the flag that read it', () => {
    expect(envLines([launch, look])).to.equal(
      [
        '# launch, look --env: environment name.',
        '# look --only: show only this environment.',
        '# PILLBOX_ENV=',
        '# launch --size: size in GiB (default 30).',
        '# PILLBOX_SIZE=',
        '',
      ].join('\n'),
    );
  });

  it('wraps a long meaning at 100 columns, continuation lines indented', () => {
    const long = aCommand('launch', { cidr: { flag: 'allowed-cidr', env: 'PILLBOX_ALLOWED_CIDR', description: 'word '.repeat(40).trim() } });
    const lines = envLines([long]).trimEnd().split('\n');
    expect(lines.length).to.be.greaterThan(2);
    expect(lines.every((l) => l.length <= 100)).to.equal(true);
    expect(lines.slice(1, -1).every((l) => l.startsWith('#   word'))).to.equal(true);
    expect(lines.join(' ').replace(/#\s+/g, '').split(' ').filter((w) => w === 'word' || w === 'word.')).to.have.length(40);
  });

  it('is written between # flags:env and # /flags:env, leaving the hand-written parts alone', () => {
    const text = '# app part\nPORT=3000\n# flags:env\n# OLD=\n# /flags:env\n# after\n';
    expect(renderEnvExample(text, [launch])).to.equal(`# app part\nPORT=3000\n# flags:env\n${envLines([launch])}# /flags:env\n# after\n`);
  });
});
