// The rendered boot scripts, run for real in a temporary box root with stand-in programs:
// what they write, which programs they call in which order, and what they leave behind
// when a step fails.
import { expect } from 'chai';
import { BOOTSTRAP_LOG, BOOTSTRAP_STATUS, EDGE_SITE_BIN, EXPIRE_DROP_IN, FETCH_SECRETS_BIN, INSTALL_PLUGINS_BIN, SETTINGS_ENV, SOURCE_BIN, SYSTEMD_DIR } from '../../scripts/lib/box/layout.js';
import { parseBootstrapStatus } from '../../scripts/lib/box/bootstrap-status.js';
import { BoxRoot, fileIn, rendered, type CloudConfig } from './box-root.js';

describe('boot scripts on a box', () => {
  let box: BoxRoot;
  let cfg: CloudConfig;
  beforeEach(() => {
    box = new BoxRoot();
    cfg = rendered();
  });
  afterEach(() => box.remove());

  describe('arming the expiry timer (bootcmd)', () => {
    const arm = () => box.run('sh', box.relocate(cfg.bootcmd[0]!));

    it('writes the timer, its service and the ExpiresAt drop-in, then enables the timer without blocking', () => {
      box.standIn('systemctl');
      expect(arm().status).to.equal(0);
      expect(box.read(EXPIRE_DROP_IN)).to.equal('[Timer]\nOnCalendar=\nOnCalendar=2026-11-22 06:30:00 UTC\n');
      expect(box.read(`${SYSTEMD_DIR}/pillbox-expire.timer`)).to.match(/^Persistent=true$/m);
      expect(box.read(`${SYSTEMD_DIR}/pillbox-expire.service`)).to.match(/^ExecStart=\/usr\/bin\/systemctl --no-block poweroff$/m);
      expect(box.loggedCalls()).to.deep.equal(['systemctl daemon-reload', 'systemctl enable --now --no-block pillbox-expire.timer']);
    });

    it('keeps a time `npm run extend` moved when the box reboots', () => {
      box.standIn('systemctl');
      const moved = '[Timer]\nOnCalendar=\nOnCalendar=2026-11-23 01:30:00 UTC\n';
      box.write(EXPIRE_DROP_IN, moved);
      expect(arm().status).to.equal(0);
      expect(box.read(EXPIRE_DROP_IN)).to.equal(moved);
      expect(box.loggedCalls()).to.include('systemctl enable --now --no-block pillbox-expire.timer');
    });

    it('fails loudly when systemd refuses the timer', () => {
      box.standIn('systemctl', '[ "$1" = enable ] && { echo "Failed to enable unit" >&2; exit 1; }; exit 0');
      const run = arm();
      expect(run.status).to.not.equal(0);
      expect(run.stderr).to.include('Failed to enable unit');
    });
  });

  describe('the bootstrap (runcmd)', () => {
    beforeEach(() => box.writeFiles(cfg));
    const bootstrap = () => {
      box.standIn('sysctl');
      box.standIn('systemctl');
      return box.run('bash', box.read('/usr/local/sbin/pillbox-bootstrap'));
    };
    const status = () => parseBootstrapStatus(box.read(BOOTSTRAP_STATUS));

    it('runs every step in order and records that it is done', () => {
      box.program(INSTALL_PLUGINS_BIN);
      box.program(SOURCE_BIN);
      expect(bootstrap().status).to.equal(0);
      expect(box.loggedCalls()).to.deep.equal([
        'sysctl --system',
        'systemctl enable --now docker.service',
        INSTALL_PLUGINS_BIN,
        SOURCE_BIN,
        'systemctl daemon-reload',
        'systemctl enable pillbox.service',
        'systemctl enable --now pillbox-backup.timer',
        'systemctl start --no-block pillbox.service',
      ]);
      expect(status()).to.deep.equal({ state: 'done', step: 'stack-unit' });
      expect(box.read(BOOTSTRAP_LOG)).to.include('== pillbox-bootstrap: source\n');
    });

    it('stops when the source archive fails its checksum, names the step and its exit code, and keeps its output in the log', () => {
      box.program(INSTALL_PLUGINS_BIN);
      box.program(SOURCE_BIN, 'echo "checksum mismatch: s3://pillbox-123456789012-eu-west-1/envs/dev/source/3f2a1c0.tar.gz has SHA-256 aa, expected bb" >&2; exit 65');
      const run = bootstrap();
      expect(run.status).to.equal(65);
      expect(status()).to.deep.equal({ state: 'failed', step: 'source', exitCode: 65 });
      expect(box.read(BOOTSTRAP_LOG)).to.include('expected bb\n== pillbox-bootstrap: source failed (exit 65)');
      expect(box.loggedCalls(), 'nothing after the failed step').to.not.include('systemctl enable pillbox.service');
    });

    it('does not fetch the source when the plugin download fails its checksum', () => {
      box.program(INSTALL_PLUGINS_BIN, 'echo "sha256sum: WARNING: 1 computed checksum did NOT match" >&2; exit 1');
      box.program(SOURCE_BIN);
      expect(bootstrap().status).to.equal(1);
      expect(status()).to.deep.equal({ state: 'failed', step: 'docker-plugins', exitCode: 1 });
      expect(box.loggedCalls()).to.not.include(SOURCE_BIN);
    });
  });

  describe('naming the site the edge serves, before every start of the stack', () => {
    const site = (settings: string, curl: string) => {
      box.writeFiles(cfg);
      box.write(SETTINGS_ENV, settings);
      box.standIn('curl', curl);
      return box.run('sh', box.read(EDGE_SITE_BIN));
    };
    // IMDSv2: a token from PUT /api/token, then the public IPv4 with that token.
    const imds = `case "$*" in
  *"-X PUT"*/latest/api/token) echo tok3n ;;
  *"X-aws-ec2-metadata-token: tok3n"*/latest/meta-data/public-ipv4) echo 203.0.113.10 ;;
  *) exit 22 ;;
esac`;

    it('runs after the secrets are fetched and before compose starts', () => {
      const unit = fileIn(cfg, `${SYSTEMD_DIR}/pillbox.service`);
      expect(unit.indexOf(`ExecStartPre=${EDGE_SITE_BIN}`)).to.be.greaterThan(unit.indexOf(`ExecStartPre=${FETCH_SECRETS_BIN}`));
      expect(unit.indexOf(`ExecStartPre=${EDGE_SITE_BIN}`)).to.be.lessThan(unit.indexOf('ExecStart='));
    });

    it('writes the public IPv4 from the instance metadata, replacing the one of an earlier boot', () => {
      expect(site('PILLBOX_ENV=dev\nPILLBOX_DOMAIN=\nPILLBOX_SITE=198.51.100.1\n', imds).status).to.equal(0);
      expect(box.read(SETTINGS_ENV)).to.equal('PILLBOX_ENV=dev\nPILLBOX_DOMAIN=\nPILLBOX_SITE=203.0.113.10\n');
    });

    it('writes the domain when one is set, without asking the metadata service', () => {
      expect(site('PILLBOX_DOMAIN=app.example.com\n', 'exit 7').status).to.equal(0);
      expect(box.read(SETTINGS_ENV)).to.equal('PILLBOX_DOMAIN=app.example.com\nPILLBOX_SITE=app.example.com\n');
      expect(box.loggedCalls()).to.deep.equal([]);
    });

    it('fails naming the cause when the instance has no public IPv4', () => {
      const run = site('PILLBOX_DOMAIN=\n', 'case "$*" in *api/token) echo tok3n ;; *) exit 22 ;; esac');
      expect(run.status).to.equal(1);
      expect(run.stderr).to.match(/no public IPv4 address/);
    });
  });
});
