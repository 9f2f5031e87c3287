// The rendered boot scripts, run for real in a temporary box root with stand-in programs:
// what they write, which programs they call in which order, and what they leave behind
// when a step fails.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { BOOTSTRAP_LOG, BOOTSTRAP_STATUS, BOX_DIR, COMMIT_FILE, EDGE_CHECK_SERVICE, EDGE_CHECK_TIMER, EDGE_DATA_VOLUME, EDGE_EXPIRED_DIR, EDGE_ROUTE_PATH, EDGE_SITE_BIN, EXPIRE_DROP_IN, FETCH_SECRETS_BIN, INSTALL_PLUGINS_BIN, RELEASES_DIR, S3_BIN, SETTINGS_ENV, SOURCE_BIN, SYSTEMD_DIR } from '../../scripts/lib/box/layout.js';
import { parseBootstrapStatus } from '../../scripts/lib/box/bootstrap-status.js';
import { aCertificateValidBetween, aLeafCertificate } from '../support/certificate.js';
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
        'systemctl enable --now pillbox-edge-check.timer',
        'systemctl enable --now pillbox-box-status.timer',
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
      expect(box.loggedCalls().filter((c) => c.startsWith('curl'))).to.deep.equal([]);
    });

    it('fails naming the cause when the instance has no public IPv4', () => {
      const run = site('PILLBOX_DOMAIN=\n', 'case "$*" in *api/token) echo tok3n ;; *) exit 22 ;; esac');
      expect(run.status).to.equal(1);
      expect(run.stderr).to.match(/no public IPv4 address/);
    });

    describe("checking Caddy's storage", () => {
      // Where Docker keeps the named volume; the stand-in answers `docker volume inspect` as the engine does.
      const DATA = '/var/lib/docker/volumes/pillbox_caddy-data/_data';
      const CERTS = `${DATA}/caddy/certificates/acme-v02.api.letsencrypt.org-directory/app.example.com`;
      // Docker 25's `volume inspect` output, the local driver's fields.
      const inspected = () =>
        JSON.stringify([{ CreatedAt: '2026-12-01T10:00:00Z', Driver: 'local', Labels: { 'com.docker.compose.project': 'pillbox', 'com.docker.compose.volume': 'caddy-data' }, Mountpoint: box.path(DATA), Name: EDGE_DATA_VOLUME, Options: null, Scope: 'local' }], null, 4);
      const withVolume = () => box.standIn('docker', `[ "$*" = "volume inspect ${EDGE_DATA_VOLUME}" ] || exit 1\ncat <<'EOF'\n${inspected()}\nEOF`);
      const start = () => site('PILLBOX_DOMAIN=app.example.com\n', 'exit 7');
      const certificate = (pem: string) => {
        box.write(`${CERTS}/app.example.com.crt`, pem);
        box.write(`${CERTS}/app.example.com.key`, 'key');
      };

      it('sets an expired certificate aside (nothing deleted) and says so in one line, so port 80 stops redirecting', () => {
        withVolume();
        certificate(aCertificateValidBetween('app.example.com', '20260101000000Z', '20260107000000Z'));
        const run = start();
        expect(run.status).to.equal(0);
        expect(box.exists(`${CERTS}/app.example.com.crt`)).to.equal(false);
        expect(readdirSync(box.path(dirname(CERTS))), "nothing left in Caddy's storage, whose cleaner deletes expired certificates").to.deep.equal([]);
        const expired = `${DATA}/${EDGE_EXPIRED_DIR}/acme-v02.api.letsencrypt.org-directory`;
        const aside = readdirSync(box.path(expired)).filter((n) => n.startsWith('app.example.com.expired-'));
        expect(aside).to.have.length(1);
        expect(box.read(`${expired}/${aside[0]}/app.example.com.key`)).to.equal('key');
        expect(run.stderr.trim().split('\n')).to.have.length(1);
        expect(run.stderr).to.match(/^the certificate for app\.example\.com expired \(Jan {2}7 00:00:00 2026 GMT\): set aside as .*; port 80 answers 503 instead of redirecting until Caddy obtains a new one/);
      });

      it('leaves a certificate that is valid now in place, silently', () => {
        withVolume();
        certificate(aLeafCertificate('/CN=app.example.com', 5));
        const run = start();
        expect(run.status).to.equal(0);
        expect(run.stderr).to.equal('');
        expect(box.exists(`${CERTS}/app.example.com.crt`)).to.equal(true);
      });

      it('removes a route naming app-next, which no stack start runs, and says so in one line', () => {
        withVolume();
        box.write(`${DATA}/${EDGE_ROUTE_PATH}`, '');
        const run = start();
        expect(run.status).to.equal(0);
        expect(box.exists(`${DATA}/${EDGE_ROUTE_PATH}`)).to.equal(false);
        expect(run.stderr).to.equal('the edge route named app-next, which is not started with the stack (a deploy cut short): removed, traffic goes to app\n');
      });

      it('checks only the certificate when the hourly timer runs it: the settings and a route of a deploy in progress stay', () => {
        withVolume();
        box.writeFiles(cfg);
        box.write(SETTINGS_ENV, 'PILLBOX_DOMAIN=\nPILLBOX_SITE=app.example.com\n');
        box.standIn('curl', 'exit 7');
        certificate(aCertificateValidBetween('app.example.com', '20260101000000Z', '20260107000000Z'));
        box.write(`${DATA}/${EDGE_ROUTE_PATH}`, '');
        const run = box.run('sh', box.read(EDGE_SITE_BIN), ['certificate']);
        expect(run.status).to.equal(0);
        expect(run.stderr).to.match(/^the certificate for app\.example\.com expired .*: set aside as /);
        expect(box.exists(`${CERTS}/app.example.com.crt`)).to.equal(false);
        expect(box.exists(`${DATA}/${EDGE_ROUTE_PATH}`)).to.equal(true);
        expect(box.read(SETTINGS_ENV)).to.equal('PILLBOX_DOMAIN=\nPILLBOX_SITE=app.example.com\n');
        expect(box.loggedCalls().filter((c) => c.startsWith('curl'))).to.deep.equal([]);
      });

      it('is run hourly by a timer enabled at boot, its service after the stack unit', () => {
        const timer = fileIn(cfg, `${SYSTEMD_DIR}/${EDGE_CHECK_TIMER}`);
        const service = fileIn(cfg, `${SYSTEMD_DIR}/${EDGE_CHECK_SERVICE}`);
        expect(timer).to.match(/^OnCalendar=hourly$/m);
        expect(service).to.match(new RegExp(`^ExecStart=${EDGE_SITE_BIN} certificate$`, 'm'));
        expect(service).to.match(/^After=pillbox\.service$/m);
        expect(EDGE_CHECK_TIMER.replace(/\.timer$/, '.service')).to.equal(EDGE_CHECK_SERVICE);
      });

      it('has nothing to check before the first start, when the volume does not exist yet', () => {
        box.standIn('docker', 'echo "Error response from daemon: get pillbox_caddy-data: no such volume" >&2; exit 1');
        const run = start();
        expect(run.status).to.equal(0);
        expect(box.read(SETTINGS_ENV)).to.equal('PILLBOX_DOMAIN=app.example.com\nPILLBOX_SITE=app.example.com\n');
      });
    });
  });

  describe('fetching a release beside the active one', () => {
    const [MOUNTED, ACTIVE, OLD, NEW] = ['a', 'b', 'c', 'd'].map((c) => c.repeat(40)) as [string, string, string, string];
    const release = (sha: string) => `${RELEASES_DIR}/${sha}`;
    let holder: ChildProcess | undefined;
    afterEach(() => holder?.kill('SIGKILL'));

    /** A process in its own mount namespace holding a bind mount of a file from `sha`, as a container does. */
    async function holdMount(sha: string): Promise<boolean> {
      const target = box.path('/mnt-target');
      box.write('/mnt-target', '');
      holder = spawn('unshare', ['-rm', 'sh', '-c', 'mount --bind "$1" "$2" && echo held && exec sleep 60', 'sh', box.path(`${release(sha)}/compose/caddy/Caddyfile`), target], { stdio: ['ignore', 'pipe', 'pipe'] });
      const said = await new Promise<string>((resolve) => {
        holder!.stdout!.once('data', (c: Buffer) => resolve(c.toString()));
        holder!.once('exit', () => resolve('exited'));
      });
      return said.startsWith('held');
    }

    it('removes old releases but keeps the active one and every one a container still mounts', async function () {
      box.writeFiles(cfg);
      for (const sha of [MOUNTED, ACTIVE, OLD]) {
        box.write(`${release(sha)}/${COMMIT_FILE}`, `${sha}\n`);
        box.write(`${release(sha)}/compose/caddy/Caddyfile`, `# ${sha}\n`);
      }
      mkdirSync(dirname(box.path(BOX_DIR)), { recursive: true });
      symlinkSync(box.path(release(ACTIVE)), box.path(BOX_DIR));
      if (!(await holdMount(MOUNTED))) this.skip(); // no user namespaces here: nothing can hold a mount
      // The bucket: the archive of NEW, whatever key and digest are asked for.
      box.program(S3_BIN, `mkdir -p "$4.d" && echo new >"$4.d/file" && tar -czf "$4" -C "$4.d" .`);
      const run = box.run('sh', `sh '${box.path(SOURCE_BIN)}' fetch ${NEW} ${'0'.repeat(64)} envs/dev/source/${NEW}.tar.gz`);
      expect(run.stderr).to.equal('');
      expect(run.status).to.equal(0);
      expect(box.exists(release(MOUNTED)), 'mounted by a running container').to.equal(true);
      expect(box.exists(release(ACTIVE))).to.equal(true);
      expect(box.exists(release(OLD))).to.equal(false);
      expect(box.read(`${release(NEW)}/file`)).to.equal('new\n');
    });
  });
});
