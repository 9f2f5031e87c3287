import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../app/src/config.js';

describe('app config', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).to.include({ PORT: 3000, HOST: '0.0.0.0', SHUTDOWN_TIMEOUT_MS: 10000, LOG_LEVEL: 'info', BODY_LIMIT_BYTES: 16384 });
    expect(config).to.include({ WORKER_MAX_OLD_SPACE_MB: 96, WORKER_MAX_SEMI_SPACE_MB: 8 });
    expect(config.WEB_CONCURRENCY).to.be.greaterThan(0);
  });

  it('trusts no proxy unless TRUST_PROXY names some, as addresses or CIDR ranges', () => {
    expect(loadConfig({}).TRUST_PROXY).to.deep.equal([]);
    expect(loadConfig({ TRUST_PROXY: '172.30.0.0/24, 10.0.0.7,fd00::/8' }).TRUST_PROXY).to.deep.equal(['172.30.0.0/24', '10.0.0.7', 'fd00::/8']);
  });

  it('leaves writes open unless WRITE_PASSWORDS names some, dropping the empty entry of an unset previous password', () => {
    expect(loadConfig({}).WRITE_PASSWORDS).to.deep.equal([]);
    expect(loadConfig({ WRITE_PASSWORDS: 'current-password-1,' }).WRITE_PASSWORDS).to.deep.equal(['current-password-1']);
    expect(loadConfig({ WRITE_PASSWORDS: 'current-password-1, previous-password-0' }).WRITE_PASSWORDS).to.deep.equal(['current-password-1', 'previous-password-0']);
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '' });
    expect(config.PORT).to.equal(3000);
    expect(config.DATABASE_URL).to.equal(undefined);
  });

  const bad: Array<[Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT=abc: expected a whole number from 1 to 65535'],
    [{ PORT: '70000' }, 'PORT=70000: expected a whole number from 1 to 65535'],
    [{ WEB_CONCURRENCY: '0' }, 'WEB_CONCURRENCY=0: expected a whole number of workers from 1 to 64'],
    [{ SHUTDOWN_TIMEOUT_MS: '1.5' }, 'SHUTDOWN_TIMEOUT_MS=1.5: expected a whole number of milliseconds from 1000 to 120000'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL=loud: expected one of fatal, error, warn, info, debug, trace, silent'],
    [{ WORKER_MAX_OLD_SPACE_MB: '16' }, 'WORKER_MAX_OLD_SPACE_MB=16: expected a whole number of MiB from 32 to 4096'],
    [{ WORKER_MAX_SEMI_SPACE_MB: '0.5' }, 'WORKER_MAX_SEMI_SPACE_MB=0.5: expected a whole number of MiB from 1 to 64'],
    [{ DATABASE_URL: 'mysql://u:secret@h/db' }, 'DATABASE_URL=<redacted>: expected a postgres:// connection URL'],
    [{ WRITE_PASSWORDS: 'short,also-a-secret-value' }, 'WRITE_PASSWORDS=<redacted>: expected passwords of 12 to 256 printable ASCII characters without spaces, comma-separated'],
    [{ WRITE_PASSWORDS: 'has a space in the secret' }, 'WRITE_PASSWORDS=<redacted>: expected passwords of 12 to 256 printable ASCII characters without spaces, comma-separated'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY=true: expected IP addresses or CIDR ranges, comma-separated (e.g. 172.30.0.0/24)'],
    [{ TRUST_PROXY: '172.30.0.0/33' }, 'TRUST_PROXY=172.30.0.0/33: expected IP addresses or CIDR ranges, comma-separated (e.g. 172.30.0.0/24)'],
  ];
  for (const [env, message] of bad) {
    it(`rejects ${Object.entries(env)[0]!.join('=')} with one line naming the variable`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, message);
    });
  }

  it('stops the process with exit 1 and only that line on stderr', () => {
    const main = fileURLToPath(new URL('../../app/dist/main.js', import.meta.url));
    const run = spawnSync(process.execPath, [main], { env: { PATH: process.env.PATH, PORT: 'abc' }, encoding: 'utf8' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.equal('PORT=abc: expected a whole number from 1 to 65535\n');
  });

  it('refuses to start in production without DATABASE_URL rather than start an embedded database', () => {
    const main = fileURLToPath(new URL('../../app/dist/main.js', import.meta.url));
    const run = spawnSync(process.execPath, [main], { env: { PATH: process.env.PATH, NODE_ENV: 'production' }, encoding: 'utf8' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.match(/^DATABASE_URL=: required when NODE_ENV=production/);
  });
});
