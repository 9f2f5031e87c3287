import { expect } from 'chai';
import { envNameFromBranch, parseConfig } from '../../../scripts/lib/core/config.js';
import type { GitRunner } from '../../../scripts/lib/core/git.js';
import { slugEnvName } from '../../../scripts/lib/core/names.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { loadProvisionConfig, provisionFields, provisionSchema } from '../../../scripts/lib/provision/config.js';
import { loadTeardownConfig } from '../../../scripts/lib/teardown/config.js';

const onBranch =
  (branch: string): GitRunner =>
  async (args) => {
    if (args.join(' ') === 'rev-parse --abbrev-ref HEAD') return branch;
    throw new Error(`unexpected git ${args.join(' ')}`);
  };

const provisionWith = (argv: string[], env: Record<string, string> = {}) => parseConfig(provisionFields, provisionSchema, { argv, env }, { env: 'dev' });

function operatorError(fn: () => unknown): OperatorError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OperatorError) return err;
    throw err;
  }
  throw new Error('expected an OperatorError');
}

describe('config', () => {
  it('takes the defaults of the issue when nothing is set, and leaves the settings a running box keeps unset', () => {
    const cfg = provisionWith([]);
    expect(cfg).to.deep.include({ env: 'dev', ref: 'HEAD', plan: false, replace: false, noWait: false, json: false, ci: false });
    expect([cfg.instanceType, cfg.ttlHours, cfg.allowedCidr, cfg.volumeGb], 'unset: provision/drift.ts fills them in').to.deep.equal([undefined, undefined, undefined, undefined]);
  });

  it('is not interactive when CI systems say so (CI=true) or with --ci', () => {
    expect(provisionWith([], { CI: 'true' }).ci).to.equal(true);
    expect(provisionWith(['--ci']).ci).to.equal(true);
  });

  it('prefers a flag over the environment over the default', () => {
    expect(provisionWith(['--ttl-hours', '4'], { PILLBOX_TTL_HOURS: '12' }).ttlHours).to.equal(4);
    expect(provisionWith([], { PILLBOX_TTL_HOURS: '12' }).ttlHours).to.equal(12);
  });

  it('reads booleans from flags and from env values such as "true"', () => {
    expect(provisionWith(['--plan', '--no-wait'])).to.deep.include({ plan: true, noWait: true });
  });

  it('stops on a bad value with one line naming where it came from and what is expected', () => {
    const err = operatorError(() => provisionWith([], { PILLBOX_TTL_HOURS: 'abc' }));
    expect(err.message).to.equal('PILLBOX_TTL_HOURS=abc: expected a whole number of hours from 1 to 8760');
    expect(err.hint).to.equal("Set --ttl-hours or PILLBOX_TTL_HOURS: hours until the instance terminates itself; teardown removes the rest (default 8; beyond 72, up to 8760, only after a confirmation that shows the monthly cost; moves a running box's expiry later).");
  });

  it("takes a TTL beyond the preview's 72 h (provision asks before it acts), and caps it at a year", () => {
    expect(provisionWith(['--ttl-hours', '720', '--yes'])).to.deep.include({ ttlHours: 720, yes: true });
    expect(provisionWith(['--ttl-hours', '73']).yes, '--yes is never implied').to.equal(false);
    expect(operatorError(() => provisionWith(['--ttl-hours', '8761'])).message).to.equal('--ttl-hours=8761: expected a whole number of hours from 1 to 8760');
  });

  it('refuses an instance type off the allow-list, naming the allowed ones', () => {
    expect(operatorError(() => provisionWith(['--instance-type', 't3.nano'])).message).to.match(/^--instance-type=t3.nano: expected one of t3.medium, t3.large/);
  });

  it('takes a domain in lowercase, and no domain by default (the certificate then names the IP address)', () => {
    expect(provisionWith([]).domain).to.equal(undefined);
    expect(provisionWith(['--domain', 'App.Example.com']).domain).to.equal('app.example.com');
    expect(provisionWith([], { PILLBOX_DOMAIN: 'pillbox.example.org' }).domain).to.equal('pillbox.example.org');
  });

  it('refuses a malformed CIDR, a domain that is not one, and the flags the bucket and the edge replaced', () => {
    expect(operatorError(() => provisionWith(['--allowed-cidr', '10.0.0.300/8'])).message).to.equal('--allowed-cidr=10.0.0.300/8: expected an IPv4 address or CIDR such as 203.0.113.7 (taken as /32) or 0.0.0.0/0');
    expect(operatorError(() => provisionWith(['--allowed-cidr', '10.0.0.300'])).message).to.match(/^--allowed-cidr=10\.0\.0\.300: expected an IPv4 address/);
    for (const bad of ['localhost', '203.0.113.10', 'app.example.com;reboot', 'app-.example.com', 'app..example.com']) {
      expect(operatorError(() => provisionWith(['--domain', bad])).message, bad).to.equal(`--domain=${bad}: expected a domain name such as app.example.com`);
    }
    expect(operatorError(() => provisionWith(['--app-port', '80'])).message, 'the public ports are the edge\'s, 80 and 443').to.equal("Unknown option '--app-port'");
    expect(operatorError(() => provisionWith(['--repo-url', 'https://github.com/acme/pillbox'])).message, 'the source ships through the bucket').to.equal("Unknown option '--repo-url'");
  });

  it('takes a bare IPv4 address as that address alone (/32)', () => {
    expect(provisionWith(['--allowed-cidr', '1.2.3.4']).allowedCidr).to.equal('1.2.3.4/32');
    expect(provisionWith([], { PILLBOX_ALLOWED_CIDR: '198.51.100.0/24' }).allowedCidr).to.equal('198.51.100.0/24');
  });

  it('reads a negative number as the value it is, and says what is expected (not "argument is ambiguous")', () => {
    expect(operatorError(() => provisionWith(['--ttl-hours', '-2'])).message).to.equal('--ttl-hours=-2: expected a whole number of hours from 1 to 8760');
    expect(operatorError(() => provisionWith(['--ttl-hours', '-2', '--plan'])).message).to.equal('--ttl-hours=-2: expected a whole number of hours from 1 to 8760');
  });

  it('refuses an unknown flag', () => {
    expect(operatorError(() => provisionWith(['--bogus'])).message).to.equal("Unknown option '--bogus'");
  });

  it('defaults the environment to a slug of the git branch', async () => {
    const cfg = await loadProvisionConfig({ argv: [], env: {} }, onBranch('feature/Login_Page'));
    expect(cfg.env).to.equal('feature-login-page');
  });

  it('keeps backups 14 days unless PILLBOX_BACKUP_RETENTION_DAYS says otherwise, from 1 to 3650', () => {
    expect(provisionWith([]).backupRetentionDays).to.equal(14);
    expect(provisionWith([], { PILLBOX_BACKUP_RETENTION_DAYS: '30' }).backupRetentionDays).to.equal(30);
    expect(operatorError(() => provisionWith([], { PILLBOX_BACKUP_RETENTION_DAYS: '0' })).message).to.equal('PILLBOX_BACKUP_RETENTION_DAYS=0: expected a whole number of days from 1 to 3650');
  });

  it('refuses --restore with --no-wait: the restore needs the new app ready', () => {
    expect(provisionWith(['--restore', 'latest']).restore).to.equal('latest');
    expect(operatorError(() => provisionWith(['--restore', 'latest', '--no-wait'])).message).to.equal('--restore=latest: restoring needs the app ready: drop --no-wait');
  });

  it('teardown needs an environment unless --all-expired', async () => {
    const detached: GitRunner = async () => 'HEAD';
    const err = await loadTeardownConfig({ argv: [], env: {} }, detached).catch((e: OperatorError) => e);
    expect((err as OperatorError).message).to.equal('Missing --env: environment name (default: a slug of the git branch).');
    expect((await loadTeardownConfig({ argv: ['--all-expired'], env: { CI: 'true' } }, detached)).ci).to.equal(true);
  });

  it('teardown takes --prefix only to narrow --all-expired', async () => {
    const detached: GitRunner = async () => 'HEAD';
    expect((await loadTeardownConfig({ argv: ['--all-expired', '--prefix', 'feat-'], env: {} }, detached)).prefix).to.equal('feat-');
    const err = await loadTeardownConfig({ argv: ['--env', 'main', '--prefix', 'feat-'], env: {} }, detached).catch((e: OperatorError) => e);
    expect((err as OperatorError).message).to.match(/^--prefix=feat-: narrows --all-expired only: add --all-expired, or drop --prefix/);
  });

  it('slugs branch names into valid environment names', () => {
    expect(slugEnvName('main')).to.equal('main');
    expect(slugEnvName('dependabot/npm_and_yarn/zod-4.1')).to.equal('dependabot-npm-and-yarn');
    expect(slugEnvName('123-fix')).to.equal('fix');
    expect(slugEnvName('___')).to.equal('main');
  });
});

describe('envNameFromBranch', () => {
  it('is true only when neither --env nor PILLBOX_ENV names the environment', () => {
    expect(envNameFromBranch({ argv: ['--yes'], env: {} })).to.equal(true);
    expect(envNameFromBranch({ argv: ['--yes'], env: { PILLBOX_ENV: '' } }), 'an empty variable names nothing').to.equal(true);
    expect(envNameFromBranch({ argv: ['--env', 'main'], env: {} })).to.equal(false);
    expect(envNameFromBranch({ argv: ['--env=main'], env: {} })).to.equal(false);
    expect(envNameFromBranch({ argv: [], env: { PILLBOX_ENV: 'main' } })).to.equal(false);
  });
});
