// The --app-image contract (docs/app-contract.md), checked the way the box checks an app: compose's
// environment, the healthcheck and the deploy's readiness probe (the same `node -e` line, run as a
// process), two colors on one database, and SIGTERM within the stop grace period. The app under
// test is a second, minimal one (tests/fixtures/minimal-app), so the contract is not pillbox's
// code described twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { READY_SCRIPT } from '../../scripts/lib/deploy/blue-green.js';
import { freePort, freshDatabase } from '../support/postgres.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = `${root}tests/fixtures/minimal-app/server.ts`;

interface AppService {
  environment: Record<string, string>;
  healthcheck: { test: string[]; start_period: string };
  stop_grace_period: string;
}
const compose = parse(readFileSync(`${root}compose/compose.yaml`, 'utf8'), { merge: true }) as { 'x-app': AppService };
const app = compose['x-app'];
const seconds = (d: string): number => Number(/^(\d+)s$/.exec(d)?.[1]);

/** The deploy's probe: the JavaScript its READY_SCRIPT runs with `docker exec <container> node -e`. */
const DEPLOY_PROBE = /node -e '([^']+)' "\$url"/.exec(READY_SCRIPT)?.[1] as string;
/** The healthcheck's, with its fixed address pointed at the process under test. */
const healthcheckProbe = (port: number): string => (app.healthcheck.test[3] as string).replace('127.0.0.1:3000', `127.0.0.1:${port}`);

const runNode = (args: string[]): Promise<number> =>
  new Promise((resolve) => execFile(process.execPath, args, { timeout: 10_000 }, (err) => resolve(err ? Number((err as { code?: number }).code ?? 1) : 0)));

/** Compose's environment for the app with the box's hostnames replaced by this machine's. */
function boxEnvironment(port: number, databaseUrl: string): Record<string, string> {
  return { ...app.environment, HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: databaseUrl, ELASTIC_APM_SERVER_URL: 'http://127.0.0.1:9', ELASTIC_APM_SECRET_TOKEN: 'token' };
}

function start(env: Record<string, string>): ChildProcess & { exit: Promise<number | null> } {
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
  return Object.assign(child, { exit: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) });
}

/** Polls the deploy's probe the way READY_SCRIPT does (once a second) until it passes or `limit` seconds pass. */
async function readyWithin(port: number, limit: number): Promise<boolean> {
  const end = Date.now() + limit * 1000;
  while (Date.now() < end) {
    if ((await runNode(['-e', DEPLOY_PROBE, `http://127.0.0.1:${port}/readyz`])) === 0) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

describe('the --app-image contract, kept by a minimal app', function () {
  this.timeout(120_000);
  const running: ChildProcess[] = [];
  afterEach(() => running.splice(0).forEach((c) => c.kill('SIGKILL')));

  it('reads the probes from the deploy and compose (the check looks at something)', () => {
    expect(DEPLOY_PROBE).to.match(/^fetch\(process\.argv\[1\]\)/);
    expect(app.healthcheck.test.slice(0, 3)).to.deep.equal(['CMD', 'node', '-e']);
    expect(Object.keys(app.environment)).to.include.members(['PORT', 'DATABASE_URL', 'ELASTIC_APM_SERVER_URL', 'ELASTIC_APM_SECRET_TOKEN']);
  });

  it("turns ready within the healthcheck's start period, by the deploy's probe and the healthcheck's", async () => {
    const port = await freePort();
    running.push(start(boxEnvironment(port, await freshDatabase('contract'))));
    expect(await readyWithin(port, seconds(app.healthcheck.start_period))).to.equal(true);
    expect(await runNode(['-e', healthcheckProbe(port)])).to.equal(0);
  });

  it('answers /readyz with a failure, and keeps running, while its database is unreachable', async () => {
    const port = await freePort();
    const child = start(boxEnvironment(port, `postgres://nobody:x@127.0.0.1:${await freePort()}/none`));
    running.push(child);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await readyWithin(port, 3)).to.equal(false);
    expect(child.exitCode).to.equal(null);
  });

  it('runs as two colors on one database (a deploy starts the new beside the old; migrations must not race)', async () => {
    const url = await freshDatabase('contract');
    const [a, b] = [await freePort(), await freePort()];
    running.push(start(boxEnvironment(a, url)), start(boxEnvironment(b, url)));
    const ready = await Promise.all([readyWithin(a, 60), readyWithin(b, 60)]);
    expect(ready).to.deep.equal([true, true]);
  });

  it('on SIGTERM answers the request in flight, then exits 0 within the stop grace period', async () => {
    const port = await freePort();
    const child = start(boxEnvironment(port, await freshDatabase('contract')));
    running.push(child);
    expect(await readyWithin(port, 60)).to.equal(true);
    // Half a request body on the wire: the request is in flight when the signal lands.
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    const closed = new Promise((r) => socket.once('close', r));
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello');
    await new Promise((r) => setTimeout(r, 300));
    const signalled = Date.now();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    socket.write('world');
    const [code] = await Promise.all([child.exit, closed]);
    expect(code).to.equal(0);
    expect(Date.now() - signalled).to.be.below(seconds(app.stop_grace_period) * 1000);
    expect(answer).to.match(/^HTTP\/1\.1 201 /);
  });
});
