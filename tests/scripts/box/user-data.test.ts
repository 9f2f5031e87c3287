import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { COMPOSE_PREBUILT_FILE } from '../../../scripts/lib/box/layout.js';
import { renderUserData, type UserDataInput } from '../../../scripts/lib/box/user-data.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const BASE: UserDataInput = {
  env: 'dev',
  region: 'eu-west-1',
  allowedCidr: '203.0.113.7/32',
  accountId: '123456789012',
  gitSha: 'a'.repeat(40),
  source: { key: `envs/dev/source/${'a'.repeat(40)}.tar.gz`, sha256: 'b'.repeat(64) },
  expiresAt: new Date('2026-11-22T06:30:00Z'),
};
const anInput = (overrides: Partial<UserDataInput> = {}): UserDataInput => ({ ...BASE, ...overrides });

const file = (input: UserDataInput, path: string): string => {
  const cfg = parse(renderUserData(input)) as { write_files: { path: string; content: string }[] };
  const found = cfg.write_files.find((f) => f.path === path);
  if (!found) throw new Error(`no write_files entry for ${path}`);
  return found.content;
};
const unitLine = (input: UserDataInput, key: string): string => file(input, '/etc/systemd/system/pillbox.service').split('\n').find((l) => l.startsWith(`${key}=`)) ?? '';

describe('user-data with a prebuilt app image (--app-image)', () => {
  const IMAGE = 'ghcr.io/acme/pillbox-app:3f2a1c0';

  it('starts and stops the stack with compose.prebuilt.yaml over compose.yaml', () => {
    const files = '--file /opt/pillbox/compose/compose.yaml --file /opt/pillbox/compose/compose.prebuilt.yaml --env-file';
    expect(unitLine(anInput({ appImage: IMAGE }), 'ExecStart')).to.include(files).and.match(/ up -d --wait$/);
    expect(unitLine(anInput({ appImage: IMAGE }), 'ExecStop')).to.include(files).and.match(/ stop$/);
  });

  it('names the image in the settings compose reads it from', () => {
    expect(file(anInput({ appImage: IMAGE }), '/etc/pillbox/pillbox.env')).to.include(`\nPILLBOX_APP_IMAGE=${IMAGE}\n`);
  });

  it('builds on the box without one: compose.yaml alone', () => {
    expect(unitLine(anInput(), 'ExecStart')).to.include('--file /opt/pillbox/compose/compose.yaml --env-file');
    expect(unitLine(anInput(), 'ExecStart')).not.to.include('compose.prebuilt.yaml');
  });

  it('points at the override the repository has, which swaps the build for the image', () => {
    const path = `${root}compose/${basename(COMPOSE_PREBUILT_FILE)}`;
    expect(existsSync(path)).to.equal(true);
    const text = readFileSync(path, 'utf8');
    expect(text).to.match(/^ {4}image: \$\{PILLBOX_APP_IMAGE:\?/m);
    expect(text).to.match(/^ {4}build: !reset null$/m);
  });
});

describe('user-data with the logs profile (8 GiB types)', () => {
  it('starts Filebeat with the stack and stops it with the second color', () => {
    expect(unitLine(anInput({ profiles: ['logs'] }), 'ExecStart')).to.match(/ --env-file \/etc\/pillbox\/secrets\.env --profile logs up -d --wait$/);
    expect(unitLine(anInput({ profiles: ['logs'] }), 'ExecStop')).to.match(/ --profile logs --profile deploy stop$/);
  });

  it('names no optional profile without one', () => {
    expect(unitLine(anInput(), 'ExecStart')).not.to.include('--profile');
  });
});
