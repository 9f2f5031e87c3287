import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SECRET_NAMES } from '../../scripts/lib/aws/secrets.js';
import { composeArgv } from '../../scripts/lib/box/compose.js';
import { inPostgres, pgDumpArgv, pgListArgv } from '../../scripts/lib/box/postgres-commands.js';
import { toShellLine } from '../../scripts/lib/box/ssm-run.js';
import { CLOUD_INIT_DIR, renderCheckedUserData, renderUserData, USER_DATA_LIMIT, type UserDataInput } from '../../scripts/lib/box/user-data.js';

const anInput = (overrides: Partial<UserDataInput> = {}): UserDataInput => ({
  env: 'feature-login',
  region: 'eu-west-1',
  appPort: 80,
  accountId: '123456789012',
  gitSha: '3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49',
  source: { key: 'envs/feature-login/source/3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49.tar.gz', sha256: 'ab'.repeat(32) },
  expiresAt: new Date('2026-11-22T06:30:00Z'),
  ...overrides,
});

interface CloudConfig {
  swap: { filename: string; size: number };
  packages: string[];
  write_files: { path: string; permissions: string; content: string }[];
  runcmd: string[][];
}

const rendered = (overrides: Partial<UserDataInput> = {}) => parse(renderUserData(anInput(overrides))) as CloudConfig;
const file = (cfg: CloudConfig, path: string): string => {
  const found = cfg.write_files.find((f) => f.path === path);
  if (!found) throw new Error(`no write_files entry for ${path}`);
  return found.content;
};

/** Debian's `cloud-init schema`; CI installs the cloud-init package, so a missing binary fails. */
function cloudInitSchema(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pillbox-user-data-'));
  try {
    const path = join(dir, 'user-data.yaml');
    writeFileSync(path, text);
    return execFileSync('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('cloud-init user-data', () => {
  it('passes `cloud-init schema`', () => {
    expect(cloudInitSchema(renderUserData(anInput({ appImage: 'ghcr.io/acme/pillbox:1.2.3' })))).to.match(/^Valid cloud-config/);
  });

  it('is rejected by `cloud-init schema` when broken (the validator really runs)', () => {
    const broken = renderUserData(anInput()).replace('swap:\n  filename: /swapfile', 'swap:\n  filename: [1, 2]');
    expect(() => cloudInitSchema(broken)).to.throw();
  });

  it('starts with #cloud-config and stays under 16 KB even with the longest inputs', () => {
    const env = 'a'.repeat(24);
    const text = renderCheckedUserData(anInput({ env, region: 'ap-southeast-5', source: { key: `envs/${env}/source/${'f'.repeat(40)}.tar.gz`, sha256: 'f'.repeat(64) }, appImage: `ghcr.io/${'x'.repeat(120)}:1.0.0` }));
    expect(text.startsWith('#cloud-config\n')).to.equal(true);
    expect(Buffer.byteLength(text)).to.be.lessThan(USER_DATA_LIMIT);
  });

  it('refuses user-data over the limit with a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pillbox-cloud-init-'));
    try {
      for (const name of readdirSync(CLOUD_INIT_DIR)) copyFileSync(join(CLOUD_INIT_DIR, name), join(dir, name));
      writeFileSync(join(dir, 'sysctl.conf'), `# ${'x'.repeat(USER_DATA_LIMIT)}\nvm.max_map_count=262144\n`);
      expect(() => renderCheckedUserData(anInput(), `${dir}/`)).to.throw(/EC2 accepts at most 16384/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('contains no secret and no unfilled placeholder', () => {
    const text = renderUserData(anInput());
    expect(text).not.to.match(/\{\{/);
    for (const name of SECRET_NAMES) expect(text).not.to.include(`${name}=`);
  });

  it('writes the non-secret settings the contract names, world-readable', () => {
    const cfg = rendered();
    const env = file(cfg, '/etc/pillbox/pillbox.env');
    expect(env).to.include('PILLBOX_ENV=feature-login\n');
    expect(env).to.include('ELASTIC_APM_ENVIRONMENT=feature-login\n');
    expect(env).to.include('APP_PORT=80\n');
    expect(env).to.include('PILLBOX_SECRETS_PATH=/pillbox/feature-login/secrets\n');
    expect(env).to.include('PILLBOX_GIT_SHA=3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49\n');
    expect(env).to.include('PILLBOX_BUCKET=pillbox-123456789012-eu-west-1\n');
    expect(env).to.include('PILLBOX_ACCOUNT_ID=123456789012\n');
    expect(env).to.include('PILLBOX_SOURCE_KEY=envs/feature-login/source/3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49.tar.gz\n');
    expect(env).to.include(`PILLBOX_SOURCE_SHA256=${'ab'.repeat(32)}\n`);
    expect(env).to.include('PILLBOX_BACKUP_PREFIX=envs/feature-login/backups/\n');
    expect(env).not.to.include('REPO_URL');
    expect(cfg.write_files.find((f) => f.path === '/etc/pillbox/pillbox.env')?.permissions).to.equal('0644');
  });

  it('sets the expiry timer drop-in to ExpiresAt, persistent across reboots, powering off', () => {
    const cfg = rendered();
    expect(file(cfg, '/etc/systemd/system/pillbox-expire.timer.d/expires-at.conf')).to.equal('[Timer]\nOnCalendar=\nOnCalendar=2026-11-22 06:30:00 UTC\n');
    expect(file(cfg, '/etc/systemd/system/pillbox-expire.timer')).to.match(/^Persistent=true$/m);
    expect(file(cfg, '/etc/systemd/system/pillbox-expire.service')).to.match(/^ExecStart=\/usr\/bin\/systemctl --no-block poweroff$/m);
    const enableTimer = cfg.runcmd.findIndex((c) => c.join(' ') === 'systemctl enable --now pillbox-expire.timer');
    expect(enableTimer, 'the timer is armed before anything that can fail').to.equal(1);
  });

  it('runs the stack with the one compose invocation of the contract, restarting after reboot', () => {
    const unit = file(rendered(), '/etc/systemd/system/pillbox.service');
    const [, ...args] = composeArgv('up', '-d', '--wait');
    expect(unit).to.include(`ExecStart=${toShellLine(['/usr/bin/docker', ...args])}\n`);
    expect(unit).to.match(/^ExecStartPre=\/usr\/local\/sbin\/pillbox-fetch-secrets$/m);
    expect(unit).to.match(/^WantedBy=multi-user.target$/m);
    expect(rendered().runcmd.map((c) => c.join(' '))).to.include.members(['systemctl enable pillbox.service', 'systemctl start --no-block pillbox.service']);
  });

  it('fetches secrets with the instance role into a 0600 file, from the environment path only', () => {
    const script = file(rendered(), '/usr/local/sbin/pillbox-fetch-secrets');
    expect(script).to.include('aws ssm get-parameters-by-path --region "$AWS_REGION" --path "$PILLBOX_SECRETS_PATH"');
    expect(script).to.include('--with-decryption');
    expect(script).to.include('umask 077');
    expect(script).to.include('chmod 0600 "$tmp"');
    expect(script).to.include('mv "$tmp" /etc/pillbox/secrets.env');
  });

  it('pins the compose and buildx plugins and verifies each download by sha256', () => {
    const script = file(rendered(), '/usr/local/sbin/pillbox-install-docker-plugins');
    expect(script).to.match(/^COMPOSE_VERSION=v\d+\.\d+\.\d+$/m);
    expect(script).to.match(/^BUILDX_VERSION=v\d+\.\d+\.\d+$/m);
    expect(script).to.match(/^COMPOSE_SHA256=[0-9a-f]{64}$/m);
    expect(script).to.match(/^BUILDX_SHA256=[0-9a-f]{64}$/m);
    expect(script).to.include('sha256sum --check');
    expect(script.indexOf('sha256sum --check')).to.be.lessThan(script.indexOf('install -D -m 0755'));
  });

  it('downloads the source archive and activates it before the stack starts, never cloning', () => {
    const cfg = rendered();
    const runcmd = cfg.runcmd.map((c) => c.join(' '));
    const fetch = runcmd.indexOf('/usr/local/sbin/pillbox-source');
    expect(fetch, 'the source is fetched').to.be.greaterThan(-1);
    expect(fetch).to.be.lessThan(runcmd.indexOf('systemctl start --no-block pillbox.service'));
    const script = file(cfg, '/usr/local/sbin/pillbox-source');
    expect(script).to.include('/usr/local/sbin/pillbox-s3 get "$3" "$2" "$archive"');
    expect(script).not.to.match(/\bgit\b (clone|fetch)/);
  });

  it('arms the nightly backup timer once the stack is enabled, and backs up before the box expires', () => {
    const cfg = rendered();
    const runcmd = cfg.runcmd.map((c) => c.join(' '));
    expect(runcmd.indexOf('systemctl enable --now pillbox-backup.timer')).to.be.greaterThan(runcmd.indexOf('systemctl enable pillbox.service'));
    expect(file(cfg, '/etc/systemd/system/pillbox-backup.timer')).to.match(/^OnCalendar=\*-\*-\* 03:00:00 UTC$/m);
    expect(file(cfg, '/etc/systemd/system/pillbox-backup.service')).to.match(/^ExecStart=\/usr\/local\/sbin\/pillbox-backup nightly$/m);
    expect(file(cfg, '/etc/systemd/system/pillbox-expire.service')).to.match(/^ExecStartPre=-\/usr\/local\/sbin\/pillbox-backup expiry$/m);
  });

  it('dumps inside the PostgreSQL container with the one compose invocation of the contract', () => {
    const script = file(rendered(), '/usr/local/sbin/pillbox-backup');
    expect(script).to.include(`${toShellLine(inPostgres(pgDumpArgv()))} >"$dump"`);
    expect(script).to.include(`${toShellLine(inPostgres(pgListArgv()))} <"$dump" >/dev/null`);
  });

  it('sets swap and vm.max_map_count, installs docker, openssl and tar (no git: nothing is cloned)', () => {
    const cfg = rendered();
    expect(file(cfg, '/etc/sysctl.d/90-pillbox.conf')).to.match(/^vm.max_map_count=262144$/m);
    expect(cfg.swap).to.deep.include({ filename: '/swapfile', size: 2 * 1024 ** 3 });
    expect(cfg.packages).to.deep.equal(['docker', 'openssl', 'tar']);
  });

  it('shell scripts parse with sh -n', () => {
    const cfg = rendered();
    for (const f of cfg.write_files.filter((w) => w.content.startsWith('#!/bin/sh'))) {
      expect(() => execFileSync('sh', ['-n'], { input: f.content }), f.path).not.to.throw();
    }
  });
});
