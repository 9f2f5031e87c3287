import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
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
    } finally {
      squatter.close();
    }
  });

  it('exits 1 on a crash loop with the embedded database too, and stops that database', async () => {
    const port = await freePort();
    const squatter = createServer().listen(port, '127.0.0.1');
    const dir = join(tmpdir(), `pillbox-embedded-${randomBytes(4).toString('hex')}`);
    try {
      const app = await start(
        { NODE_ENV: 'development', WEB_CONCURRENCY: '1', PORT: String(port), EMBEDDED_PG_DIR: dir, EMBEDDED_PG_PORT: String(await freePort()) },
        { waitReady: false },
      );
      const { code } = await app.exited;
      expect(code, 'the embedded database exit hook must not turn the crash loop into exit 0').to.equal(1);
      expect(app.logs.some((l) => l['log.level'] === 'fatal')).to.equal(true);
      expect(existsSync(join(dir, 'postmaster.pid')), 'embedded PostgreSQL stopped').to.equal(false);
    } finally {
      squatter.close();
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}.password`, { force: true });
    }
  });

  it('drains every request in flight on SIGTERM under keep-alive load, then exits 0', async () => {
    const databaseUrl = await freshDatabase('drain');
    const app = await start({ DATABASE_URL: databaseUrl, WEB_CONCURRENCY: '2', SHUTDOWN_TIMEOUT_MS: '10000' });
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const outcomes: Outcome[] = [];
    let stoppedAt = Infinity;
    // 32 clients, each sending its next request as soon as the last one ends, until the server is gone.
    const clients = Array.from({ length: 32 }, async () => {
      for (;;) {
        const outcome = await post(app.url, agent);
        outcomes.push(outcome);
        if (outcome.sentAt > stoppedAt || outcome.status !== 201) return;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stoppedAt = Date.now();
    app.child.kill('SIGTERM');
    await Promise.all(clients);
    agent.destroy();

    const { code } = await app.exited;
    expect(code).to.equal(0);
    expect(Date.now() - stoppedAt).to.be.lessThan(10_000);
    const inFlight = outcomes.filter((o) => o.sentAt < stoppedAt && o.doneAt >= stoppedAt);
    expect(inFlight.length, 'requests in flight when SIGTERM arrived').to.be.greaterThan(0);
    expect(inFlight.filter((o) => o.status !== 201), 'in-flight requests that failed').to.deep.equal([]);
    const created = outcomes.filter((o) => o.status === 201).length;
    const [count] = await query<{ n: number }>(databaseUrl, 'SELECT count(*)::int AS n FROM medications');
    expect(count?.n, 'every stored row was answered 201: no work done and then dropped').to.equal(created);
    expect(await fetch(`${app.url}/healthz`).then(() => 'answered', () => 'refused')).to.equal('refused');
  });
});
