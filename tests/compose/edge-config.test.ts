// The edge's configuration as the box runs it: compose/caddy/Caddyfile adapted by Caddy itself (Debian's 2.6) with
// the caddy service's settings and a box's values, and the names the Caddyfile, compose.yaml and the deploy's swap
// share. What 2.6 cannot read (the `shortlived` ACME profile, a 2.10 feature) is shown to be the only difference.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EDGE_ADMIN_URL, ROUTE_DIR, ROUTE_FILE, UPSTREAMS } from '../../scripts/lib/deploy/blue-green.js';
import { containerEnvironment, loadCompose, readText } from './compose-files.js';

const run = promisify(execFile);
const compose = loadCompose('compose/compose.yaml');
const caddy = compose.services['caddy']!;
const caddyfile = readText('compose/caddy/Caddyfile');
// The official image sets XDG_DATA_HOME=/data and XDG_CONFIG_HOME=/config (caddyserver/caddy-docker, Dockerfile.tmpl).
const IMAGE_ENV = { XDG_DATA_HOME: '/data', XDG_CONFIG_HOME: '/config' };

type Json = Record<string, unknown>;
interface Adapted {
  apps: { http: { servers: Record<string, { listen: string[]; routes: Json[]; protocols?: string[]; tls_connection_policies?: Json[] }> }; tls?: { automation?: { policies?: Json[] } } };
}

async function adapt(site: string, profile: string, text = caddyfile): Promise<Adapted> {
  const dir = mkdtempSync(join(tmpdir(), 'pillbox-adapt-'));
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, text);
  const env = { PATH: process.env.PATH, HOME: dir, ...IMAGE_ENV, ...containerEnvironment(caddy), PILLBOX_SITE: site, PILLBOX_ACME_PROFILE: profile, PILLBOX_ALLOWED_CIDR: '198.51.100.0/24' };
  const { stdout } = await run('caddy', ['adapt', '--config', file], { env });
  return JSON.parse(stdout) as Adapted;
}

const serverOn = (config: Adapted, port: string) => Object.values(config.apps.http.servers).find((s) => s.listen.includes(`:${port}`));
const text = (value: unknown) => JSON.stringify(value);

describe('the edge configuration', function () {
  this.timeout(20_000);

  describe('names shared by the Caddyfile, compose.yaml and deploy', () => {
    it('reads only variables the caddy service sets (or the image does), and the service sets none it does not read', () => {
      const read = [...new Set([...caddyfile.matchAll(/\{\$([A-Z_]+)(?::[^}]*)?\}/g)].map((m) => m[1] as string))].sort();
      const set = Object.keys(caddy.environment ?? {}).filter((name) => name.startsWith('PILLBOX_'));
      expect(read).to.deep.equal([...set, 'XDG_DATA_HOME'].sort());
    });

    it('dials each color by an alias that exists on the edge network only', () => {
      expect(caddy.environment?.['PILLBOX_APP_UPSTREAM']).to.equal(UPSTREAMS.app);
      expect(caddy.environment?.['PILLBOX_APP_NEXT_UPSTREAM']).to.equal(UPSTREAMS['app-next']);
      expect(compose.services['app']?.networks?.['edge']?.aliases).to.deep.equal([UPSTREAMS.app.split(':')[0]]);
      expect(compose.services['app-next']?.networks?.['edge']?.aliases).to.deep.equal([UPSTREAMS['app-next'].split(':')[0]]);
      for (const alias of Object.values(UPSTREAMS)) expect(Object.keys(compose.services)).to.not.include(alias.split(':')[0]);
    });

    it('keeps the edge network to Caddy and the two colors, and the app trusts exactly that subnet as its proxy', () => {
      const members = Object.entries(compose.services).filter(([, s]) => s.networks?.['edge'] !== undefined).map(([n]) => n);
      expect(members.sort()).to.deep.equal(['app', 'app-next', 'caddy']);
      const subnet = compose.networks?.['edge']?.ipam?.config?.[0]?.subnet;
      expect(subnet).to.match(/^172\.30\.\d+\.\d+\/\d+$/);
      expect(compose.services['app']?.environment?.['TRUST_PROXY']).to.equal(subnet);
    });

    it("keeps the route file in Caddy's data volume, where deploy writes it, and the admin API where deploy reads it", () => {
      expect(caddyfile).to.contain(`root {$XDG_DATA_HOME}/pillbox\n\t\ttry_files /${ROUTE_FILE}\n`);
      expect(ROUTE_DIR).to.equal(`${IMAGE_ENV.XDG_DATA_HOME}/pillbox`);
      expect(caddy.volumes).to.include('caddy-data:/data');
      expect(`http://${caddy.environment?.['PILLBOX_CADDY_ADMIN']}`).to.equal(EDGE_ADMIN_URL);
      expect(caddy.volumes).to.include('./caddy/Caddyfile:/etc/caddy/Caddyfile:ro');
    });
  });

  describe('adapted by Caddy for a domain', () => {
    let config: Adapted;
    before(async () => (config = await adapt('pillbox.example.com', 'classic')));

    it("gets the site's certificate from Let's Encrypt only, over HTTP-01 only: no internal CA, no second issuer, no TLS-ALPN-01", () => {
      expect(config.apps.tls?.automation?.policies).to.deep.equal([
        { subjects: ['pillbox.example.com'], issuers: [{ ca: 'https://acme-v02.api.letsencrypt.org/directory', challenges: { 'tls-alpn': { disabled: true } }, module: 'acme' }] },
      ]);
    });

    it('listens on 80 and 443 for the site and 8080 for the box, HTTP/1.1 and HTTP/2 only', () => {
      expect(Object.values(config.apps.http.servers).map((s) => s.listen[0]).sort()).to.deep.equal([':443', ':80', ':8080']);
      expect(serverOn(config, '443')?.protocols).to.deep.equal(['h1', 'h2']);
    });

    it('on public plain HTTP, refuses outsiders, redirects only once a certificate is in storage, and never proxies the app', () => {
      const http = text(serverOn(config, '80'));
      expect(http).to.contain('"status_code":403');
      expect(http).to.contain('"not":[{"remote_ip":{"ranges":["198.51.100.0/24"]}}]');
      expect(http).to.contain('"try_files":["/*/pillbox.example.com/pillbox.example.com.crt"]');
      expect(http).to.contain('"root":"/data/caddy/certificates"');
      expect(http).to.contain('"status_code":308');
      expect(http).to.contain('"status_code":503');
      expect(http).to.not.contain('reverse_proxy');
    });

    it('refuses outsiders on HTTPS before the app, and sends HSTS on HTTPS only', () => {
      const https = text(serverOn(config, '443'));
      expect(https).to.contain('"deferred":true,"set":{"Strict-Transport-Security":["max-age=86400"]}');
      expect(https.indexOf('"not":[{"remote_ip":{"ranges":["198.51.100.0/24"]}}]')).to.be.within(0, https.indexOf('reverse_proxy'));
      const local = text(serverOn(config, '8080'));
      expect(local).to.contain('"delete":["Strict-Transport-Security"]');
      expect(local).to.not.contain('max-age');
      expect(local, 'the box probes itself whatever the range').to.not.contain('remote_ip');
    });

    it("puts the routed color first and the other one behind it, each asked for /readyz every second, out of the pool after three failures in 3 s; retries for up to 30 s, never more than GET after a connection", () => {
      const proxies = (port: string) => text(serverOn(config, port)).match(/"handler":"reverse_proxy".*?"upstreams":\[[^\]]*\]/g) ?? [];
      const [app, next] = [UPSTREAMS.app, UPSTREAMS['app-next']];
      for (const port of ['443', '8080']) {
        // The route file's handler first (app-next routed), then the one without it.
        expect(proxies(port).map((p) => p.slice(p.indexOf('"upstreams"')))).to.deep.equal([
          `"upstreams":[{"dial":"${next}"},{"dial":"${app}"}]`,
          `"upstreams":[{"dial":"${app}"},{"dial":"${next}"}]`,
        ]);
        for (const p of proxies(port)) {
          expect(p).to.contain('"health_checks":{"active":{"interval":1000000000,"timeout":2000000000,"uri":"/readyz"},"passive":{"fail_duration":3000000000,"max_fails":3}}');
          expect(p).to.contain('"load_balancing":{"selection_policy":{"policy":"first"},"try_duration":30000000000,"try_interval":250000000}');
          expect(p).to.not.contain('retry_match');
        }
      }
    });
  });

  describe('adapted for an IP address (no domain)', () => {
    it('asks for the shortlived profile, the one line Caddy 2.6 cannot read; without it, an ACME issuer for the IP', async () => {
      const refused = await adapt('203.0.113.10', 'shortlived').then(
        () => 'adapted',
        (err: { stderr?: string }) => err.stderr ?? '',
      );
      expect(refused).to.contain('unrecognized ACME issuer property: profile');
      const without = caddyfile.replace('\t\tprofile shortlived\n', '');
      expect(without).to.not.equal(caddyfile);
      const config = await adapt('203.0.113.10', 'shortlived', without);
      expect(config.apps.tls?.automation?.policies).to.deep.equal([
        { subjects: ['203.0.113.10'], issuers: [{ ca: 'https://acme-v02.api.letsencrypt.org/directory', challenges: { 'tls-alpn': { disabled: true } }, module: 'acme' }] },
      ]);
      // A handshake without SNI (every client, for an IP) gets the site's certificate.
      expect(text(serverOn(config, '443')?.tls_connection_policies)).to.contain('"default_sni":"203.0.113.10"');
    });
  });
});
