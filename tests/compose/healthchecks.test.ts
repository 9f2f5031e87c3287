// Runs each Elastic healthcheck script from compose.yaml with bash against a local stand-in of the service, with
// PATH holding only what the 9.5 image ships: nothing at all for APM Server (ubi10-micro) and Heartbeat (UBI
// minimal; bash builtins only), curl for Elasticsearch and Kibana. Caddy's runs against Debian's Caddy with the
// project Caddyfile, with wget alone (the image's is BusyBox's, same flags). Sources of those image facts: STEPS.md.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaddy } from '../support/caddy-process.js';
import { freePort } from '../support/postgres.js';
import { containerEnvironment, loadCompose } from './compose-files.js';

const compose = loadCompose('compose/compose.yaml');

/** The bash script of a `[CMD, bash, -c, script]` healthcheck, with compose's `$$` escapes undone. */
function scriptOf(service: string): string {
  const test = compose.services[service]?.healthcheck?.test;
  expect(test, `${service} healthcheck`).to.be.an('array');
  const [form, shell, flag, script] = test as string[];
  expect([form, shell, flag], `${service} runs bash -c directly, not through /bin/sh`).to.deep.equal(['CMD', 'bash', '-c']);
  return (script as string).replaceAll('$$', '$');
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function withServer<T>(handler: Handler, use: (port: number) => Promise<T>): Promise<T> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
};

/** A PATH with only the named programs, as the image has them. */
function pathWith(...programs: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'pillbox-image-path-'));
  for (const program of programs) symlinkSync(`/usr/bin/${program}`, join(dir, program));
  return dir;
}

async function runCheck(script: string, path: string, env: Record<string, string> = {}): Promise<number> {
  return runArgv(['/usr/bin/bash', '-c', script], path, env);
}

function runArgv([program, ...args]: string[], path: string, env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    execFile(program as string, args, { env: { PATH: path, ...env }, timeout: 10_000 }, (err) => {
      resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : 1);
    });
  });
}

describe('healthchecks run with only what each 9.5 image contains', () => {
  const bare = pathWith();
  const withCurl = pathWith('curl');

  describe('apm-server (ubi10-micro: bash and coreutils, no grep, no curl)', () => {
    const token = 'a-secret-token-0123456789';
    const apm = (publishReady: boolean): Handler => (req, res) => {
      if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { error: 'authorization required' });
      json(res, 200, { build_date: '2026-08-17T00:00:00Z', build_sha: 'b7407af', publish_ready: publishReady, version: '9.5.6' });
    };
    const script = (port: number) => scriptOf('apm-server').replace('/dev/tcp/127.0.0.1/8200', `/dev/tcp/127.0.0.1/${port}`);

    it('is healthy once an authorised GET / reports publish_ready, using bash builtins alone', async () => {
      const code = await withServer(apm(true), (port) => runCheck(script(port), bare, { ELASTIC_APM_SECRET_TOKEN: token }));
      expect(code).to.equal(0);
    });

    it('is unhealthy while the Elasticsearch output is not ready, or when the token is refused', async () => {
      expect(await withServer(apm(false), (port) => runCheck(script(port), bare, { ELASTIC_APM_SECRET_TOKEN: token }))).to.not.equal(0);
      expect(await withServer(apm(true), (port) => runCheck(script(port), bare, { ELASTIC_APM_SECRET_TOKEN: 'wrong' }))).to.not.equal(0);
    });

    it('is unhealthy when nothing listens', async () => {
      const port = await withServer(apm(true), async (p) => p);
      expect(await runCheck(script(port), bare, { ELASTIC_APM_SECRET_TOKEN: token })).to.not.equal(0);
    });
  });

  for (const beat of ['heartbeat', 'filebeat']) {
    describe(`${beat} (UBI minimal: bash builtins only)`, () => {
      const stats = (status: number): Handler => (_req, res) => json(res, status, { beat: { info: { name: beat } } });
      const script = (port: number) => scriptOf(beat).replace('/dev/tcp/127.0.0.1/5066', `/dev/tcp/127.0.0.1/${port}`);

      it('is healthy when the stats endpoint answers 200, and unhealthy otherwise', async () => {
        expect(await withServer(stats(200), (port) => runCheck(script(port), bare))).to.equal(0);
        expect(await withServer(stats(503), (port) => runCheck(script(port), bare))).to.not.equal(0);
      });
    });
  }

  describe('kibana (curl and bash in every image variant)', () => {
    // As Kibana's /api/status for an anonymous caller: the redacted overall level, 503 only when unavailable.
    const kibana = (level: string): Handler => (_req, res) => json(res, level === 'unavailable' ? 503 : 200, { status: { overall: { level } } });
    const script = (port: number) => scriptOf('kibana').replace('127.0.0.1:5601', `127.0.0.1:${port}`);

    it('is healthy when available and when degraded (a degraded Kibana still serves)', async () => {
      for (const level of ['available', 'degraded']) expect(await withServer(kibana(level), (port) => runCheck(script(port), withCurl)), level).to.equal(0);
    });

    it('is unhealthy when unavailable', async () => {
      expect(await withServer(kibana('unavailable'), (port) => runCheck(script(port), withCurl))).to.not.equal(0);
    });
  });

  describe('elasticsearch (curl and bash; the password from the secret file)', () => {
    const password = 'elastic-password-0123456789';
    const secretFile = join(mkdtempSync(join(tmpdir(), 'pillbox-secret-')), 'elastic_password');
    writeFileSync(secretFile, password);
    const cluster = (status: string): Handler => (req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from(`elastic:${password}`).toString('base64')}`) return json(res, 401, { error: 'unauthorized' });
      // _cluster/health answers 200 whatever the colour.
      json(res, 200, { cluster_name: 'pillbox', status, timed_out: false });
    };
    const script = (port: number) =>
      scriptOf('elasticsearch').replace('127.0.0.1:9200', `127.0.0.1:${port}`).replace('/run/secrets/elastic_password', secretFile);

    it('is healthy when green or yellow, authenticating as elastic from the secret file', async () => {
      for (const status of ['green', 'yellow']) expect(await withServer(cluster(status), (port) => runCheck(script(port), withCurl)), status).to.equal(0);
    });

    it('is unhealthy when red, although the answer is 200', async () => {
      expect(await withServer(cluster('red'), (port) => runCheck(script(port), withCurl))).to.not.equal(0);
    });

    it('keeps the password off the command line: it reaches curl on stdin', () => {
      expect(scriptOf('elasticsearch')).to.match(/--config -/);
      expect(scriptOf('elasticsearch')).to.not.match(/\s-u\s|--user\s/);
    });
  });

  describe('caddy (BusyBox wget in the Alpine image; no bash, no curl needed)', function () {
    this.timeout(30_000);
    const [form, ...argv] = compose.services['caddy']?.healthcheck?.test as string[];

    it('runs wget directly, not through a shell the image lacks', () => {
      expect(form).to.equal('CMD');
      expect(argv[0]).to.equal('wget');
    });

    it('is healthy while the admin API answers with the loaded config, and unhealthy once Caddy is gone', async () => {
      const [admin, http, https, local] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
      const caddy = await startCaddy({
        ...containerEnvironment(compose.services['caddy']!),
        PILLBOX_CADDY_ADMIN: `127.0.0.1:${admin}`,
        PILLBOX_HTTP_PORT: String(http),
        PILLBOX_HTTPS_PORT: String(https),
        PILLBOX_EDGE_LOCAL_PORT: String(local),
        PILLBOX_ALLOWED_CIDR: '127.0.0.1/32',
        // Nothing answers there: no certificate is requested from the real Let's Encrypt.
        PILLBOX_ACME_CA: `https://127.0.0.1:${await freePort()}/dir`,
      });
      const check = argv.map((a) => a.replace('127.0.0.1:2019', `127.0.0.1:${admin}`));
      const onlyWget = pathWith('wget');
      try {
        expect(await runArgv(check, onlyWget)).to.equal(0);
      } finally {
        await caddy.stop();
      }
      expect(await runArgv(check, onlyWget)).to.not.equal(0);
    });
  });
});
