import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { startAppProcess, type AppProcess } from '../support/app-process.js';
import { freePort, freshDatabase } from '../support/postgres.js';

const byMessage = (message: string) => (line: Record<string, unknown>) => line.message === message;
const levels = (app: AppProcess) => app.logs.map((l) => l['log.level']);

async function query<T>(databaseUrl: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

interface Outcome {
  sentAt: number;
  doneAt: number;
  status: number | string;
}

/** One POST over a keep-alive agent; resolves with when it was sent and how it ended. */
function post(url: string, agent: Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ name: 'Drain test', strength: 1, unit: 'mg' });
    const sentAt = Date.now();
    const req = request(`${url}/api/medications`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ sentAt, doneAt: Date.now(), status: res.statusCode ?? 0 }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ sentAt, doneAt: Date.now(), status: err.code ?? err.message }));
    req.end(body);
  });
}

/**
 * 32 keep-alive clients, each sending its next POST as soon as the last one ends, until `stop`
 * is called and the server goes away; resolves with every outcome and when `stop` was called.
 */
function keepAliveLoad(url: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const outcomes: Outcome[] = [];
  let stoppedAt = Infinity;
  const clients = Array.from({ length: 32 }, async () => {
    for (;;) {
      const outcome = await post(url, agent);
      outcomes.push(outcome);
      if (outcome.sentAt > stoppedAt || outcome.status !== 201) return;
    }
  });
  return {
    /** Marks the moment the server is told to stop. */
    stopping: () => (stoppedAt = Date.now()),
    async finished() {
      await Promise.all(clients);
      agent.destroy();
      const inFlight = outcomes.filter((o) => o.sentAt < stoppedAt && o.doneAt >= stoppedAt);
      return { outcomes, stoppedAt, inFlight, created: outcomes.filter((o) => o.status === 201).length };
    },
  };
}

describe('cluster', function () {
  this.timeout(60_000);
  const started: AppProcess[] = [];
  const start = async (...args: Parameters<typeof startAppProcess>) => {
    const app = await startAppProcess(...args);
    started.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((app) => app.stop('SIGKILL')));
  });

  it('applies migrations exactly once when four instances start at once on an empty database', async () => {
    const databaseUrl = await freshDatabase('race');
    const apps = await Promise.all(
      Array.from({ length: 4 }, () => start({ DATABASE_URL: databaseUrl, WEB_CONCURRENCY: '1' })),
    );
    const applied = apps.map((app) => app.logs.find((l) => l.message === 'migrations applied' || l.message === 'schema is current'));
    expect(applied.filter((l) => l?.message === 'migrations applied')).to.have.length(1);
    expect(applied.filter((l) => l?.message === 'schema is current')).to.have.length(3);
    for (const app of apps) {
      expect(levels(app)).to.not.include.oneOf(['error', 'fatal']);
      expect((await fetch(`${app.url}/readyz`)).status).to.equal(200);
    }
    const rows = await query<{ name: string }>(databaseUrl, 'SELECT name FROM schema_migrations');
    expect(rows.map((r) => r.name)).to.deep.equal(['0001-create-medications']);
  });

  it('starts workers with the configured V8 heap limits after the primary’s own options (the APM preload)', async () => {
    const app = await start({
      DATABASE_URL: await freshDatabase('heap'),
      WEB_CONCURRENCY: '1',
      WORKER_MAX_OLD_SPACE_MB: '100',
      WORKER_MAX_SEMI_SPACE_MB: '2',
    });
    const worker = await app.waitForLog((l) => l.message === 'worker listening');
    const argv = readFileSync(`/proc/${worker['process.pid']}/cmdline`, 'utf8').split('\0');
    expect(argv.slice(1, 5)).to.deep.equal(['-r', './dist/observability/apm-start.js', '--max-old-space-size=100', '--max-semi-space-size=2']);
  });

  it('replaces a killed worker and keeps serving', async () => {
    const app = await start({ DATABASE_URL: await freshDatabase('respawn'), WEB_CONCURRENCY: '2' });
    await app.waitForLog((l) => l.message === 'worker listening' && l.role === 'worker-2');
    const victim = await app.waitForLog((l) => l.message === 'worker listening' && l.role === 'worker-1');
    const victimPid = victim['process.pid'] as number;
    process.kill(victimPid, 'SIGKILL');

    const died = await app.waitForLog(byMessage('worker died; replacing it'));
    expect(died).to.include({ slot: 1, pid: victimPid, signal: 'SIGKILL' });
    const replacement = await app.waitForLog(
      (l) => l.message === 'worker listening' && l.role === 'worker-1' && l['process.pid'] !== victimPid,
    );
    expect(replacement['process.pid']).to.be.a('number');
    for (let i = 0; i < 10; i++) expect((await fetch(`${app.url}/healthz`)).status).to.equal(200);
  });

  it('stops with a clear message when workers crash in a loop', async () => {
    const port = await freePort();
    const squatter = createServer().listen(port, '127.0.0.1');
    try {
      const app = await start(
        { DATABASE_URL: await freshDatabase('loop'), WEB_CONCURRENCY: '2', PORT: String(port) },
        { waitReady: false },
      );
      const { code } = await app.exited;
      expect(code).to.equal(1);
      const fatal = app.logs.find((l) => l['log.level'] === 'fatal');
      expect(fatal?.message).to.match(/workers died \d+ times .* stopping/);
      expect(app.logs.map((l) => l.message), 'no worker ever listened').to.not.include('pillbox is listening');
    } finally {
      squatter.close();
    }
  });

  it('drains every request in flight on SIGTERM under keep-alive load, then exits 0', async () => {
    const databaseUrl = await freshDatabase('drain');
    const app = await start({ DATABASE_URL: databaseUrl, WEB_CONCURRENCY: '2', SHUTDOWN_TIMEOUT_MS: '10000' });
    const load = keepAliveLoad(app.url);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    load.stopping();
    app.child.kill('SIGTERM');
    const { stoppedAt, inFlight, created } = await load.finished();

    const { code } = await app.exited;
    expect(code).to.equal(0);
    expect(Date.now() - stoppedAt).to.be.lessThan(10_000);
    expect(inFlight.length, 'requests in flight when SIGTERM arrived').to.be.greaterThan(0);
    expect(inFlight.filter((o) => o.status !== 201), 'in-flight requests that failed').to.deep.equal([]);
    const [count] = await query<{ n: number }>(databaseUrl, 'SELECT count(*)::int AS n FROM medications');
    expect(count?.n, 'every stored row was answered 201: no work done and then dropped').to.equal(created);
    expect(await fetch(`${app.url}/healthz`).then(() => 'answered', () => 'refused')).to.equal('refused');
  });

  describe('on the embedded database (npm start with no DATABASE_URL)', () => {
    const dirs: string[] = [];
    const embedded = async (env: Record<string, string> = {}) => {
      const dir = join(tmpdir(), `pillbox-embedded-${randomBytes(4).toString('hex')}`);
      dirs.push(dir);
      return { NODE_ENV: 'development', EMBEDDED_PG_DIR: dir, EMBEDDED_PG_PORT: String(await freePort()), ...env };
    };
    afterEach(async () => {
      for (const dir of dirs.splice(0)) {
        // A server a failing test left behind would hold its port and data directory.
        const leftover = Number((await readFile(join(dir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
        if (leftover > 0) process.kill(leftover, 'SIGKILL');
        await rm(dir, { recursive: true, force: true });
        await rm(`${dir}.password`, { force: true });
      }
    });

    it('exits 1 on a crash loop, stops that database, and never says it is listening', async () => {
      const port = await freePort();
      const squatter = createServer().listen(port, '127.0.0.1');
      try {
        const env = await embedded({ WEB_CONCURRENCY: '1', PORT: String(port) });
        const app = await start(env, { waitReady: false });
        const { code } = await app.exited;
        expect(code, 'the crash loop ends the primary with 1').to.equal(1);
        expect(app.logs.some((l) => l['log.level'] === 'fatal')).to.equal(true);
        expect(app.logs.map((l) => l.message)).to.not.include('pillbox is listening');
        expect(existsSync(join(env.EMBEDDED_PG_DIR, 'postmaster.pid')), 'embedded PostgreSQL stopped').to.equal(false);
      } finally {
        squatter.close();
      }
    });

    it('drains every request in flight on Ctrl-C under keep-alive load before it stops the database', async () => {
      const env = await embedded({ WEB_CONCURRENCY: '2', SHUTDOWN_TIMEOUT_MS: '10000' });
      const app = await start(env, { ownProcessGroup: true });
      const load = keepAliveLoad(app.url);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      load.stopping();
      // A terminal's Ctrl-C: SIGINT to every process in the foreground group at once.
      process.kill(-app.child.pid!, 'SIGINT');
      const { inFlight } = await load.finished();

      const { code } = await app.exited;
      expect(code).to.equal(0);
      expect(inFlight.length, 'requests in flight when Ctrl-C arrived').to.be.greaterThan(0);
      expect(inFlight.filter((o) => o.status !== 201), 'in-flight requests that failed').to.deep.equal([]);
      const order = app.logs.map((l) => l.message).filter((m) => m === 'worker stopped' || m === 'embedded PostgreSQL stopped');
      expect(order).to.deep.equal(['worker stopped', 'worker stopped', 'embedded PostgreSQL stopped']);
      expect(existsSync(join(env.EMBEDDED_PG_DIR, 'postmaster.pid')), 'embedded PostgreSQL stopped').to.equal(false);
    });

    it('stops the embedded database when Ctrl-C arrives while it is still starting', async () => {
      const env = await embedded({ WEB_CONCURRENCY: '1' });
      const app = await start(env, { ownProcessGroup: true, waitReady: false });
      await app.waitForLog((l) => l.message === 'initialising the embedded PostgreSQL data directory');
      process.kill(-app.child.pid!, 'SIGINT');
      const { code } = await app.exited;
      expect(code, `a clean stop; stderr: ${app.stderr()}`).to.equal(0);
      expect(app.logs.map((l) => l.message)).to.include('embedded PostgreSQL stopped').and.not.include('pillbox is listening');
      expect(existsSync(join(env.EMBEDDED_PG_DIR, 'postmaster.pid')), 'no server left running').to.equal(false);
    });

    it('exits 1 within seconds, with one line naming the port, when the database port is taken', async () => {
      const env = await embedded({ WEB_CONCURRENCY: '1' });
      const squatter = createServer().listen(Number(env.EMBEDDED_PG_PORT), '127.0.0.1');
      try {
        const began = Date.now();
        const app = await start(env, { waitReady: false });
        const { code } = await app.exited;
        expect(code).to.equal(1);
        expect(Date.now() - began).to.be.lessThan(5_000);
        expect(app.stderr()).to.equal(
          `pillbox failed to start: port ${env.EMBEDDED_PG_PORT} on 127.0.0.1 is taken: stop what listens there, or set EMBEDDED_PG_PORT to a free port\n`,
        );
      } finally {
        squatter.close();
      }
    });
  });
});
