import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET_NAMES } from '../../scripts/lib/aws/secrets.js';
import { composeArgv } from '../../scripts/lib/box/compose.js';
import { toShellLine } from '../../scripts/lib/box/ssm-run.js';
import { CLOUD_INIT_DIR, renderCheckedUserData, renderUserData, USER_DATA_LIMIT } from '../../scripts/lib/box/user-data.js';
import { anInput, fileIn, rendered } from './box-root.js';

const file = fileIn;

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
    const text = renderCheckedUserData(anInput({ env: 'a'.repeat(24), repoUrl: `https://github.com/${'o'.repeat(39)}/${'r'.repeat(100)}`, appImage: `ghcr.io/${'x'.repeat(120)}:1.0.0` }));
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
    expect(env).to.include('PILLBOX_DOMAIN=\n');
    expect(env).to.include('PILLBOX_ACME_PROFILE=shortlived\n');
    expect(env).to.include('PILLBOX_SECRETS_PATH=/pillbox/feature-login/secrets\n');
    expect(env).to.include('PILLBOX_GIT_SHA=3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49\n');
    expect(cfg.write_files.find((f) => f.path === '/etc/pillbox/pillbox.env')?.permissions).to.equal('0644');
  });

  it('asks for the default ACME profile for a domain, and for shortlived (the only one for an IP address) without', () => {
    const env = file(rendered({ domain: 'app.example.com' }), '/etc/pillbox/pillbox.env');
    expect(env).to.include('PILLBOX_DOMAIN=app.example.com\n');
    expect(env).to.include('PILLBOX_ACME_PROFILE=classic\n');
    expect(file(rendered(), '/etc/pillbox/pillbox.env')).to.include('PILLBOX_ACME_PROFILE=shortlived\n');
  });

  it('arms the expiry timer in bootcmd, which runs at every boot and before write_files, so it carries the units itself', () => {
    const cfg = rendered();
    expect(cfg.bootcmd).to.have.length(1);
    const arm = cfg.bootcmd[0]!;
    expect(arm).to.match(/^set -eu$/m);
    expect(arm).to.include("cat >/etc/systemd/system/pillbox-expire.timer <<'UNIT'\n");
    expect(arm).to.include("cat >/etc/systemd/system/pillbox-expire.service <<'UNIT'\n");
    expect(arm).to.include('OnCalendar=\nOnCalendar=2026-11-22 06:30:00 UTC\nUNIT\n');
    expect(arm).to.match(/^systemctl enable --now --no-block pillbox-expire\.timer$/m);
    expect(cfg.write_files.map((f) => f.path).filter((p) => p.includes('pillbox-expire')), 'written by bootcmd, not write_files').to.deep.equal([]);
    expect(() => execFileSync('sh', ['-n'], { input: arm })).not.to.throw();
  });

  it('runs the bootstrap as the only runcmd, one strict script', () => {
    const cfg = rendered();
    expect(cfg.runcmd).to.deep.equal([['/usr/local/sbin/pillbox-bootstrap']]);
    const script = file(cfg, '/usr/local/sbin/pillbox-bootstrap');
    expect(script.split('\n').slice(0, 1)).to.deep.equal(['#!/bin/bash']);
    expect(script).to.match(/^set -euo pipefail$/m);
  });

  it('runs the stack with the one compose invocation of the contract, restarting after reboot', () => {
    const unit = file(rendered(), '/etc/systemd/system/pillbox.service');
    const [, ...args] = composeArgv('up', '-d', '--wait');
    expect(unit).to.include(`ExecStart=${toShellLine(['/usr/bin/docker', ...args])}\n`);
    expect(unit).to.match(/^ExecStartPre=\/usr\/local\/sbin\/pillbox-fetch-secrets$/m);
    expect(unit).to.match(/^WantedBy=multi-user.target$/m);
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

  it('clones the exact commit detached, sets swap and vm.max_map_count, installs docker and git', () => {
    const cfg = rendered();
    expect(file(cfg, '/usr/local/sbin/pillbox-checkout')).to.include('git -C /opt/pillbox checkout --quiet --force --detach "$sha"');
    expect(file(cfg, '/etc/sysctl.d/90-pillbox.conf')).to.match(/^vm.max_map_count=262144$/m);
    expect(cfg.swap).to.deep.include({ filename: '/swapfile', size: 2 * 1024 ** 3 });
    expect(cfg.packages).to.deep.equal(['docker', 'git']);
  });

  it('shell scripts parse with sh -n', () => {
    const cfg = rendered();
    const scripts = cfg.write_files.filter((w) => w.content.startsWith('#!/bin/sh'));
    expect(scripts.length).to.be.above(3);
    for (const f of scripts) {
      expect(() => execFileSync('sh', ['-n'], { input: f.content }), f.path).not.to.throw();
    }
    expect(() => execFileSync('bash', ['-n'], { input: file(cfg, '/usr/local/sbin/pillbox-bootstrap') })).not.to.throw();
  });
});
