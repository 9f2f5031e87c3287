import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeMode, edgeProbeCommand, parseEdgeProbe } from '../../../scripts/lib/box/edge-certificate.js';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import { aLeafCertificate } from '../../support/certificate.js';
import { useStubBin } from '../fakes/stub-bin.js';

const COMPOSE =
  'docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env';
const SHORT = aLeafCertificate("/O=Let's Encrypt/CN=203.0.113.10", 2);
const LONG = aLeafCertificate("/O=Let's Encrypt/CN=203.0.113.10", 6);

describe('the edge probe', () => {
  it('reads the site from the box settings and the certificates from Caddy\'s storage, through the contract compose invocation', () => {
    expect(toShellLine(edgeProbeCommand())).to.match(new RegExp(`^sh -c '.*' sh /etc/pillbox/pillbox.env ${COMPOSE}$`, 's'));
  });

  it('takes the certificate that lasts longest, the leaf and not its chain', () => {
    const state = parseEdgeProbe(`site 203.0.113.10\n${SHORT}${LONG}`);
    expect(state.site).to.equal('203.0.113.10');
    expect(state.certificate?.issuer).to.equal("Let's Encrypt");
    expect(state.certificate?.validTo.getTime()).to.be.greaterThan(Date.now() + 5 * 86_400_000);
  });

  it('names no certificate when Caddy holds none, and refuses an answer that is not the probe\'s', () => {
    expect(parseEdgeProbe('site app.example.com\n')).to.deep.equal({ site: 'app.example.com' });
    expect(() => parseEdgeProbe('service "caddy" is not running\n')).to.throw('unexpected answer from the edge probe');
  });

  it('says HTTPS with the expiry, plain HTTP with why, or an expired certificate', () => {
    const now = new Date();
    const https = edgeMode(parseEdgeProbe(`site app.example.com\n${LONG}`), now);
    expect(https).to.deep.include({ https: true, url: 'https://app.example.com/' });
    expect(https.summary).to.match(/^HTTPS, certificate from Let's Encrypt valid until .* UTC \((5|6) days left; Caddy renews it\)$/);
    expect(edgeMode(parseEdgeProbe(`site app.example.com\n${SHORT}`), new Date(now.getTime() + 36 * 3_600_000)).summary).to.match(/\(\d+ h left; Caddy renews it\)$/);
    expect(edgeMode({ site: 'app.example.com' }, now)).to.deep.include({ https: false, url: 'http://app.example.com/' });
    expect(edgeMode(parseEdgeProbe(`site app.example.com\n${SHORT}`), new Date(now.getTime() + 3 * 86_400_000)).summary).to.match(/^HTTPS with an EXPIRED certificate/);
  });

  describe('run under sh', () => {
    const { stub, run } = useStubBin();

    it('prints the site, then every certificate file Caddy keeps for it', async () => {
      const settings = join(mkdtempSync(join(tmpdir(), 'pillbox-settings-')), 'pillbox.env');
      writeFileSync(settings, 'PILLBOX_ENV=dev\nPILLBOX_SITE=198.51.100.1\nPILLBOX_SITE=203.0.113.10\n');
      // Inside the Caddy container the glob finds one certificate file per issuer; here, the exec's arguments say what it would run.
      stub('docker', `[ "$1 $2" = "compose --project-directory" ] || exit 9
shift 11
[ "$1 $2 $3 $4 $5" = "exec -T caddy sh -c" ] || { echo "unexpected: $*" >&2; exit 9; }
echo "cert for $8"`);
      const argv = edgeProbeCommand().map((a) => (a === '/etc/pillbox/pillbox.env' ? settings : a));
      const out = await run(argv);
      expect(out.code, out.stderr).to.equal(0);
      expect(out.stdout).to.equal('site 203.0.113.10\ncert for 203.0.113.10\n');
    });
  });
});
