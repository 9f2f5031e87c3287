import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SECRET_NAMES } from '../../scripts/lib/aws/secrets.js';
import { composeArgv } from '../../scripts/lib/box/compose.js';
import { inPostgres, pgDumpArgv, pgListArgv } from '../../scripts/lib/box/postgres-commands.js';
import { toShellLine } from '../../scripts/lib/box/ssm-run.js';
import { CLOUD_INIT_DIR, renderCheckedUserData, renderUserData, USER_DATA_LIMIT } from '../../scripts/lib/box/user-data.js';
import { anInput, fileIn, rendered } from './box-root.js';
import { cloudInitSchema } from './cloud-init-schema.js';

const file = fileIn;

describe('cloud-init user-data', () => {
  it('passes `cloud-init schema`', () => {
    expect(cloudInitSchema(renderUserData(anInput({ appImage: 'ghcr.io/acme/pillbox:1.2.3' })))).to.match(/^Valid cloud-config/);
  });

  it('is rejected by `cloud-init schema` when broken (the validator really runs)', () => {
    const broken = renderUserData(anInput()).replace('swap:\n  filename: /swapfile', 'swap:\n  filename: [1, 2]');
    expect(() => cloudInitSchema(broken)).to.throw();
  });

  it('is sent gzip-compressed, under 16 KB even with the longest inputs, and unpacks to the #cloud-config text', () => {
    const env = 'a'.repeat(24);
    const { text, packed } = renderCheckedUserData(anInput({ env, region: 'ap-southeast-5', source: { key: `envs/${env}/source/${'f'.repeat(40)}.tar.gz`, sha256: 'f'.repeat(64) }, appImage: `ghcr.io/${'x'.repeat(120)}:1.0.0` }));
    expect(text.startsWith('#cloud-config\n')).to.equal(true);
    expect(Buffer.byteLength(text), 'the text alone is over the limit: the reason it is compressed').to.be.greaterThan(USER_DATA_LIMIT);
    expect(packed.length).to.be.lessThan(USER_DATA_LIMIT);
    expect(packed.subarray(0, 2).toString('hex'), 'the gzip magic cloud-init detects').to.equal('1f8b');
    expect(gunzipSync(packed).toString('utf8')).to.equal(text);
  });

  it('refuses user-data over the limit once compressed, with a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pillbox-cloud-init-'));
    try {
      for (const name of readdirSync(CLOUD_INIT_DIR)) copyFileSync(join(CLOUD_INIT_DIR, name), join(dir, name));
      // Random text barely compresses.
      writeFileSync(join(dir, 'sysctl.conf'), `# ${randomBytes(USER_DATA_LIMIT).toString('base64')}\nvm.max_map_count=262144\n`);
      expect(() => renderCheckedUserData(anInput(), `${dir}/`)).to.throw(/gzip-compressed .*EC2 accepts at most 16384/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('contains no secret and no unfilled placeholder', () => {
    const text = renderUserData(anInput());
    // Placeholders are {{ NAME }}; docker's Go templates ({{.Name}}, box-status.sh) are the box's own.
    expect(text).not.to.match(/\{\{ ?[A-Z]/);
    expect(text.match(/\{\{[^}]*\}\}/g)?.every((t) => t.startsWith('{{.'))).to.not.equal(false);
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
    expect(env).to.include('PILLBOX_BUCKET=pillbox-123456789012-eu-west-1\n');
    expect(env).to.include('PILLBOX_ACCOUNT_ID=123456789012\n');
    expect(env).to.include('PILLBOX_SOURCE_KEY=envs/feature-login/source/3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49.tar.gz\n');
    expect(env).to.include(`PILLBOX_SOURCE_SHA256=${'ab'.repeat(32)}\n`);
    expect(env).to.include('PILLBOX_BACKUP_PREFIX=envs/feature-login/backups/\n');
    expect(env).not.to.include('REPO_URL');
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

  it('downloads the source archive and activates it before the stack starts, never cloning', () => {
    const cfg = rendered();
    const bootstrap = file(cfg, '/usr/local/sbin/pillbox-bootstrap');
    const fetch = bootstrap.indexOf('\nstep source\n/usr/local/sbin/pillbox-source\n');
    expect(fetch, 'the source is fetched').to.be.greaterThan(-1);
    expect(fetch).to.be.lessThan(bootstrap.indexOf('systemctl start --no-block pillbox.service'));
    const script = file(cfg, '/usr/local/sbin/pillbox-source');
    expect(script).to.include('/usr/local/sbin/pillbox-s3 get "$3" "$2" "$archive"');
    expect(script).not.to.match(/\bgit\b (clone|fetch)/);
  });

  it('arms the nightly backup timer once the stack is enabled, and backs up before the box expires', () => {
    const cfg = rendered();
    const bootstrap = file(cfg, '/usr/local/sbin/pillbox-bootstrap');
    expect(bootstrap.indexOf('systemctl enable --now pillbox-backup.timer')).to.be.greaterThan(bootstrap.indexOf('systemctl enable pillbox.service'));
    expect(file(cfg, '/etc/systemd/system/pillbox-backup.timer')).to.match(/^OnCalendar=\*-\*-\* 03:00:00 UTC$/m);
    expect(file(cfg, '/etc/systemd/system/pillbox-backup.service')).to.match(/^ExecStart=\/usr\/local\/sbin\/pillbox-backup nightly$/m);
    // The expiry service is written by bootcmd's script (see above), with the backup first.
    expect(cfg.bootcmd[0]).to.match(/^ExecStartPre=-\/usr\/bin\/timeout --kill-after=30s 19m \/usr\/local\/sbin\/pillbox-backup expiry$/m);
  });

  it('dumps inside the PostgreSQL container with the one compose invocation of the contract', () => {
    const script = file(rendered(), '/usr/local/sbin/pillbox-backup');
    expect(script).to.include(`${toShellLine(inPostgres(pgDumpArgv()))} >"$dump"`);
    expect(script).to.include(`${toShellLine(inPostgres(pgListArgv()))} <"$dump" >/dev/null`);
  });

  it('sets swap, vm.max_map_count (Elastic recommends 1048576) and a low vm.swappiness, installs docker, openssl and tar (no git: nothing is cloned)', () => {
    const cfg = rendered();
    const sysctl = file(cfg, '/etc/sysctl.d/90-pillbox.conf');
    expect(sysctl).to.match(/^vm.max_map_count=1048576$/m);
    // Low, and not 0: at 0 a cgroup at its limit is never swapped, so the capped build would be killed.
    expect(Number(sysctl.match(/^vm.swappiness=(\d+)$/m)?.[1])).to.be.within(1, 10);
    expect(cfg.swap).to.deep.include({ filename: '/swapfile', size: 2 * 1024 ** 3 });
    expect(cfg.packages).to.deep.equal(['docker', 'openssl', 'tar']);
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
