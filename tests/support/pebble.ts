// Let's Encrypt's ACME test server (Debian's pebble 2.4) on loopback, with a throwaway CA for its own HTTPS
// listener (the package ships none). Validation reaches the client's challenge server on httpPort/tlsPort.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { get as httpsGet } from 'node:https';

const run = promisify(execFile);

export interface Pebble {
  /** The ACME directory URL. */
  directory: string;
  /** The CA of pebble's own HTTPS listener (what an ACME client must trust to talk to it). */
  listenerCaFile: string;
  /** PEM of the root that signs the certificates pebble issues; it changes on every start. */
  issuingRoot(): Promise<string>;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  port: number;
  managementPort: number;
  /** Where pebble connects for http-01 and tls-alpn-01: the ACME client's HTTP and HTTPS ports. */
  httpPort: number;
  tlsPort: number;
}

async function listenerCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const csr = join(dir, 'cert.csr');
  const ext = join(dir, 'san.ext');
  writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-days', '1', '-subj', '/CN=pillbox test pebble listener CA', '-keyout', caKey, '-out', ca]);
  await run('openssl', ['req', ...ec, '-subj', '/CN=localhost', '-keyout', key, '-out', csr]);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', cert]);
  return { ca, cert, key };
}

/** GET over HTTPS trusting `ca`; rejects unless 200. */
function getText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}

export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'pillbox-pebble-'));
  const certs = await listenerCertificates(dir);
  const config = join(dir, 'pebble-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${options.port}`,
        managementListenAddress: `127.0.0.1:${options.managementPort}`,
        certificate: certs.cert,
        privateKey: certs.key,
        httpPort: options.httpPort,
        tlsPort: options.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  // No random sleep before validation, and no nonce rejections: the same flow, only faster.
  const child: ChildProcess = spawn('pebble', ['-config', config, '-strict=false'], {
    env: { PATH: process.env.PATH, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ca = readFileSync(certs.ca, 'utf8');
  const directory = `https://127.0.0.1:${options.port}/dir`;
  const get = (url: string) => getText(url, ca);
  for (let i = 0; ; i++) {
    if (await get(directory).then(() => true, () => false)) break;
    if (child.exitCode !== null || i > 100) throw new Error(`pebble did not start: ${output.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    directory,
    listenerCaFile: certs.ca,
    issuingRoot: () => get(`https://127.0.0.1:${options.managementPort}/roots/0`),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
