// Which mode the edge serves in: HTTPS once Caddy holds a certificate for the site (it then redirects plain HTTP
// there); until then plain HTTP answers 503, never the app. Read on the box from Caddy's storage (the image has no openssl); the CLI parses
// the PEM. Storage layout: certificates/<issuer>/<site>/<site>.crt (caddyserver/certmagic, storage.go), the same
// path the Caddyfile's redirect checks.
import { X509Certificate } from 'node:crypto';
import { composeArgv } from './compose.js';
import { SETTINGS_ENV } from './layout.js';
import type { RemoteRunner } from './ssm-output.js';

// Prints "site <name>" (PILLBOX_SITE, which the box writes at boot), then every certificate Caddy stores for it.
const EDGE_PROBE_SCRIPT = [
  'settings=$1; shift',
  'site=$(sed -n "s/^PILLBOX_SITE=//p" "$settings" | tail -n 1)',
  'echo "site $site"',
  '[ -n "$site" ] || exit 0',
  `"$@" exec -T caddy sh -c 'for f in /data/caddy/certificates/*/"$1"/"$1".crt; do if [ -e "$f" ]; then cat "$f"; fi; done' sh "$site"`,
].join('\n');

export const edgeProbeCommand = (): string[] => ['sh', '-c', EDGE_PROBE_SCRIPT, 'sh', SETTINGS_ENV, ...composeArgv()];

export interface EdgeCertificate {
  issuer: string;
  validTo: Date;
}

export interface EdgeState {
  /** The domain or IP address the edge serves; empty before the box named it. */
  site: string;
  /** The certificate that lasts longest, if Caddy holds any for the site. */
  certificate?: EdgeCertificate;
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function parseEdgeProbe(stdout: string): EdgeState {
  const first = stdout.split('\n', 1)[0] ?? '';
  if (!first.startsWith('site ')) throw new Error(`unexpected answer from the edge probe: ${JSON.stringify(first.slice(0, 80))}`);
  // Each file holds the leaf first, then the chain: only leaves name the site.
  const leaves = (stdout.match(PEM) ?? []).map((pem) => new X509Certificate(pem)).filter((c) => !c.ca);
  const longest = leaves.sort((a, b) => Date.parse(b.validTo) - Date.parse(a.validTo))[0];
  const issuer = longest?.issuer.split('\n').find((line) => line.startsWith('O=')) ?? longest?.issuer.split('\n').find((line) => line.startsWith('CN='));
  return {
    site: first.slice(5).trim(),
    ...(longest ? { certificate: { issuer: issuer?.replace(/^(O|CN)=/, '') ?? 'unknown issuer', validTo: new Date(longest.validTo) } } : {}),
  };
}

export interface EdgeMode {
  https: boolean;
  /** What the operator reads: the mode, and the expiry or why there is none. */
  summary: string;
  url?: string;
}

const utc = (d: Date): string => d.toISOString().replace(/:\d{2}\.\d{3}Z$/, ' UTC').replace('T', ' ');

export function edgeMode(state: EdgeState, now: Date): EdgeMode {
  const url = (scheme: string) => (state.site ? `${scheme}://${state.site}/` : undefined);
  const cert = state.certificate;
  if (!cert) {
    return { https: false, url: url('http'), summary: "no certificate yet: plain HTTP answers 503 until one is issued (`npm run logs caddy` says why; Let's Encrypt must reach port 80)" };
  }
  if (cert.validTo.getTime() <= now.getTime()) {
    return { https: true, url: url('https'), summary: `HTTPS with an EXPIRED certificate (${cert.issuer}, ended ${utc(cert.validTo)}): renewals fail, see \`npm run logs caddy\`` };
  }
  const hours = Math.floor((cert.validTo.getTime() - now.getTime()) / 3_600_000);
  const left = hours >= 48 ? `${Math.floor(hours / 24)} days` : `${hours} h`;
  return { https: true, url: url('https'), summary: `HTTPS, certificate from ${cert.issuer} valid until ${utc(cert.validTo)} (${left} left; Caddy renews it)` };
}

/** The edge's mode on the box, or why it could not be read. */
export async function readEdgeMode(run: RemoteRunner, now: Date): Promise<EdgeMode | { error: string }> {
  const result = await run(edgeProbeCommand(), { timeoutSeconds: 60 });
  if (result.exitCode !== 0) return { error: result.stderr.trim().split('\n').at(-1) || `exit ${result.exitCode}` };
  return edgeMode(parseEdgeProbe(result.stdout), now);
}
