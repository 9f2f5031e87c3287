// What the first boot does when AWS or the network is not ready yet, run for real in a box
// root with stand-in programs: the S3 read retried while the instance role propagates, the
// SSM agent restarted after it backed off, the plugin downloads retried and named.
import { truncateSync } from 'node:fs';
import { expect } from 'chai';
import { BOOTSTRAP_STATUS, FETCH_SECRETS_BIN, INSTALL_PLUGINS_BIN, S3_BIN, SECRETS_ENV, SETTINGS_ENV, SOURCE_BIN, SSM_AGENT_LOG } from '../../scripts/lib/box/layout.js';
import { parseBootstrapStatus } from '../../scripts/lib/box/bootstrap-status.js';
import { BoxRoot, rendered, type CloudConfig } from './box-root.js';

/** A stand-in that fails `times` calls with `failure`, then runs `then`; counted in a file. */
const failingFirst = (counter: string, times: number, failure: string, then: string) =>
  `n=$(cat '${counter}' 2>/dev/null || echo 0); echo $((n + 1)) > '${counter}'; if [ "$n" -lt ${times} ]; then ${failure}; fi; ${then}`;

describe('the first boot while AWS is not ready yet', () => {
  let box: BoxRoot;
  let cfg: CloudConfig;
  beforeEach(() => {
    box = new BoxRoot();
    cfg = rendered();
    box.writeFiles(cfg);
    box.write(SETTINGS_ENV, 'AWS_REGION=eu-west-1\nPILLBOX_BUCKET=pillbox-123456789012-eu-west-1\nPILLBOX_ACCOUNT_ID=123456789012\n');
    box.standIn('sleep');
  });
  afterEach(() => box.remove());

  describe('an S3 read with a role that is not in effect yet', () => {
    const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const get = () => box.run('sh', `${box.path(S3_BIN)} get envs/dev/source/a.tar.gz ${EMPTY_SHA} ${box.path('/tmp/a.tar.gz')}`);
    const denied = 'echo "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied" >&2; exit 254';
    const writes = 'for a; do case "$a" in *.part) : > "$a" ;; esac; done';

    it('retries a 403 with back-off until the role works', () => {
      box.standIn('aws', failingFirst(box.path('/tmp/count'), 3, denied, writes));
      const run = get();
      expect(run.status).to.equal(0);
      expect(box.loggedCalls().filter((c) => c.startsWith('sleep '))).to.deep.equal(['sleep 5', 'sleep 10', 'sleep 20']);
      expect(box.exists('/tmp/a.tar.gz')).to.equal(true);
    });

    it('gives up after about five minutes, naming the role to check', () => {
      box.standIn('aws', denied);
      const run = get();
      expect(run.status).to.equal(1);
      expect(run.stderr).to.match(/still denied after 3\d\ds: check the instance role's policy for s3:\/\/pillbox-123456789012-eu-west-1\n$/);
    });

    for (const [code, said] of [
      ['InvalidAccessKeyId', 'An error occurred (InvalidAccessKeyId) when calling the GetObject operation: The AWS Access Key Id you provided does not exist in our records.'],
      ['ExpiredToken', 'An error occurred (ExpiredToken) when calling the GetObject operation: The provided token has expired.'],
      ['no credentials', 'Unable to locate credentials. You can configure credentials by running "aws configure".'],
    ] as const) {
      it(`retries while the role's credentials are not usable yet (${code})`, () => {
        box.standIn('aws', failingFirst(box.path('/tmp/count'), 2, `echo '${said}' >&2; exit 253`, writes));
        const run = get();
        expect(run.status).to.equal(0);
        expect(box.loggedCalls().filter((c) => c.startsWith('sleep '))).to.deep.equal(['sleep 5', 'sleep 10']);
      });
    }

    it('stops at once on any other failure', () => {
      box.standIn('aws', 'echo "An error occurred (NoSuchKey) when calling the GetObject operation" >&2; exit 254');
      const run = get();
      expect(run.status).to.equal(1);
      expect(run.stderr).to.include('NoSuchKey');
      expect(box.loggedCalls().filter((c) => c.startsWith('sleep '))).to.deep.equal([]);
    });
  });

  describe('the secrets, read with a role that is not in effect yet', () => {
    const fetch = () => {
      box.write(SETTINGS_ENV, 'AWS_REGION=eu-west-1\nPILLBOX_SECRETS_PATH=/pillbox/dev/secrets\n');
      box.write('/tmp/.keep', '');
      return box.run('sh', box.read(FETCH_SECRETS_BIN));
    };
    const denied = 'echo "An error occurred (AccessDeniedException) when calling the GetParametersByPath operation: User is not authorized" >&2; exit 254';
    const secrets = "printf '/pillbox/dev/secrets/POSTGRES_PASSWORD\\tpw1\\n/pillbox/dev/secrets/ELASTIC_PASSWORD\\tpw2\\n'";

    it('are retried with back-off until the role works, then written', () => {
      box.standIn('aws', failingFirst(box.path('/tmp/count'), 2, denied, secrets));
      const run = fetch();
      expect(run.status, run.stderr).to.equal(0);
      expect(box.loggedCalls().filter((c) => c.startsWith('sleep '))).to.deep.equal(['sleep 5', 'sleep 10']);
      expect(box.read(SECRETS_ENV)).to.equal('POSTGRES_PASSWORD=pw1\nELASTIC_PASSWORD=pw2\n');
    });

    it('say a denied read is denied, never "no secrets found"', () => {
      box.standIn('aws', denied);
      const run = fetch();
      expect(run.status).to.equal(1);
      expect(run.stderr).to.include('AccessDeniedException');
      expect(run.stderr).to.include("still denied after 3");
      expect(run.stderr).to.not.include('no secrets found');
    });

    it('still say when the path holds none', () => {
      box.standIn('aws', 'exit 0');
      const run = fetch();
      expect(run.status).to.equal(1);
      expect(run.stderr).to.equal('no secrets found under /pillbox/dev/secrets\n');
    });
  });

  describe('an upload over S3’s single-PUT cap', () => {
    it('is refused before anything is read or sent, naming the cap (a backup stays uncommitted, with no manifest)', () => {
      box.standIn('aws');
      box.standIn('sha256sum');
      box.write('/tmp/big.dump', '');
      truncateSync(box.path('/tmp/big.dump'), 5 * 1024 ** 3 + 1);
      const run = box.run('sh', `${box.path(S3_BIN)} put ${box.path('/tmp/big.dump')} envs/dev/backups/x.dump backup`);
      expect(run.status).to.equal(66);
      expect(run.stderr).to.match(/big\.dump is 5368709121 bytes, over S3's 5 GiB cap for one PutObject: s3:\/\/pillbox-123456789012-eu-west-1\/envs\/dev\/backups\/x\.dump was not written\n$/);
      expect(box.loggedCalls()).to.deep.equal([]);
    });

    it('lets exactly 5 GiB through', () => {
      box.standIn('aws');
      box.standIn('sha256sum', 'echo "abc  $1"');
      box.standIn('openssl', 'echo x');
      box.write('/tmp/edge.dump', '');
      truncateSync(box.path('/tmp/edge.dump'), 5 * 1024 ** 3);
      expect(box.run('sh', `${box.path(S3_BIN)} put ${box.path('/tmp/edge.dump')} envs/dev/backups/x.dump backup`).status).to.equal(0);
      expect(box.loggedCalls().some((c) => c.startsWith('aws s3api put-object'))).to.equal(true);
    });
  });

  describe('the SSM agent', () => {
    const bootstrap = () => {
      box.standIn('sysctl');
      box.standIn('systemctl');
      box.program(INSTALL_PLUGINS_BIN);
      box.program(SOURCE_BIN);
      return box.run('bash', box.read('/usr/local/sbin/pillbox-bootstrap'));
    };

    // The agent's own format strings (aws/amazon-ssm-agent 3.3.1142.0, same lines at 3.3.987.0):
    // core/app/credentialrefresher/credentialrefresher.go:253 and
    // common/identity/credentialproviders/ec2roleprovider/ec2_role_provider.go:137,148.
    const BACKOFF = 'Sleeping for %v before retrying retrieve credentials';
    const CONNECTED = ['Successfully connected with instance profile role credentials', 'Successfully connected with Systems Manager role credentials'];
    const line = (level: string, text: string) => `2026-11-22 06:31:02 ${level} [credentialRefresher] ${text}\n`;
    const backedOff = line('ERROR', 'Retrieve credentials produced error: AccessDeniedException') + line('INFO', BACKOFF.replace('%v', '27m13s'));

    it('is restarted at the end of the bootstrap when its last word on credentials is the back-off', () => {
      box.write(SSM_AGENT_LOG, backedOff);
      expect(bootstrap().status).to.equal(0);
      expect(box.loggedCalls().at(-1)).to.equal('systemctl restart amazon-ssm-agent');
      expect(parseBootstrapStatus(box.read(BOOTSTRAP_STATUS))).to.deep.equal({ state: 'done', step: 'stack-unit' });
    });

    for (const connected of CONNECTED) {
      it(`is left alone when it connected after backing off ("${connected}"): a restart would cut its commands`, () => {
        box.write(SSM_AGENT_LOG, backedOff + line('INFO', connected));
        expect(bootstrap().status).to.equal(0);
        expect(box.loggedCalls()).to.not.include('systemctl restart amazon-ssm-agent');
      });
    }

    it('is left alone when its log says nothing about credentials (or is missing)', () => {
      expect(bootstrap().status).to.equal(0);
      expect(box.loggedCalls()).to.not.include('systemctl restart amazon-ssm-agent');
    });

    it('is restarted even when the bootstrap fails, so the operator can still reach the box', () => {
      box.write(SSM_AGENT_LOG, backedOff);
      box.standIn('sysctl');
      box.standIn('systemctl');
      box.program(INSTALL_PLUGINS_BIN, 'exit 3');
      const run = box.run('bash', box.read('/usr/local/sbin/pillbox-bootstrap'));
      expect(run.status).to.not.equal(0);
      expect(parseBootstrapStatus(box.read(BOOTSTRAP_STATUS))).to.deep.include({ state: 'failed', step: 'docker-plugins' });
      expect(box.loggedCalls().at(-1)).to.equal('systemctl restart amazon-ssm-agent');
    });
  });

  describe('the docker plugins', () => {
    const install = () => {
      box.standIn('docker');
      return box.run('sh', box.read(INSTALL_PLUGINS_BIN));
    };

    it('retries each download with back-off on every error, and names the one that failed', () => {
      box.standIn('curl', 'exit 7');
      const run = install();
      expect(run.status).to.equal(1);
      expect(box.loggedCalls()[0]).to.match(/^curl .*--retry 5 --retry-all-errors --retry-max-time 300 /);
      expect(run.stderr).to.match(/^download of docker-compose failed: https:\/\/github\.com\/docker\/compose\/releases\/download\/v[\d.]+\/docker-compose-linux-x86_64 \(retried 5 times\)/m);
    });

    it('names a download whose checksum does not match, and installs nothing', () => {
      box.standIn('curl', 'while [ $# -gt 0 ]; do [ "$1" = --output ] && echo tampered > "$2"; shift; done');
      const run = install();
      expect(run.status).to.equal(1);
      expect(run.stderr).to.match(/^download of docker-compose does not match its pinned sha256 [0-9a-f]{64}: https:/m);
      expect(box.exists('/usr/local/lib/docker/cli-plugins/docker-compose')).to.equal(false);
    });
  });
});
