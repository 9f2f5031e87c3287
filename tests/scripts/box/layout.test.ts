import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { BOX_LAYOUT, COMPOSE_PROJECT } from '../../../scripts/lib/box/layout.js';
import { CLOUD_INIT_DIR, renderUserData } from '../../../scripts/lib/box/user-data.js';
import { typescriptFiles } from '../../github/aws-sdk-actions.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const LAYOUT_FILE = `${root}scripts/lib/box/layout.ts`;

/** Which box paths and unit names a text spells out itself, instead of taking them from layout.ts. */
const copiesIn = (text: string): string[] => Object.entries(BOX_LAYOUT).filter(([, value]) => text.includes(value)).map(([name]) => name);

describe('the box layout', () => {
  it('is the only place the cloud-init files get box paths and unit names from', () => {
    const copies = readdirSync(CLOUD_INIT_DIR).flatMap((file) => copiesIn(readFileSync(`${CLOUD_INIT_DIR}${file}`, 'utf8')).map((name) => `${file}: ${name}`));
    expect(copies, 'write {{ NAME }} instead').to.deep.equal([]);
  });

  it('reaches the box whole: every path and unit it names is in the rendered user-data', () => {
    const source = { key: `envs/dev/source/${'a'.repeat(40)}.tar.gz`, sha256: 'b'.repeat(64) };
    const text = renderUserData({ env: 'dev', region: 'eu-west-1', allowedCidr: '203.0.113.7/32', accountId: '123456789012', gitSha: 'a'.repeat(40), source, expiresAt: new Date('2026-11-22T06:30:00Z') });
    const rendered = copiesIn(text);
    expect(Object.keys(BOX_LAYOUT).filter((name) => !rendered.includes(name))).to.deep.equal([]);
  });

  it('is the only place the CLI spells box paths and unit names', () => {
    const copies = typescriptFiles(`${root}scripts`)
      .filter((file) => file !== LAYOUT_FILE)
      .flatMap((file) => copiesIn(readFileSync(file, 'utf8')).map((name) => `${file.slice(root.length)}: ${name}`));
    expect(copies, 'import the name from scripts/lib/box/layout.ts').to.deep.equal([]);
  });

  it('names the compose project as compose/compose.yaml does', () => {
    const compose = parse(readFileSync(`${root}compose/compose.yaml`, 'utf8')) as { name?: string };
    expect(compose.name).to.equal(COMPOSE_PROJECT);
  });
});
