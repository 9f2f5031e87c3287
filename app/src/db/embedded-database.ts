import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from '../observability/logger';
import { startEmbeddedPostgres } from './embedded-postgres';

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

/** The local PostgreSQL `npm start` runs when DATABASE_URL is unset; its data persists in `dataDir`. */
export async function startEmbeddedDatabase(dataDir: string, port: number, logger: Logger): Promise<Database> {
  const dir = resolve(dataDir);
  const password = await localPassword(dir);
  if (!existsSync(join(dir, 'PG_VERSION'))) logger.info({ dir }, 'initialising the embedded PostgreSQL data directory');
  const server = await startEmbeddedPostgres({
    dataDir: dir,
    port,
    password,
    portSetting: 'EMBEDDED_PG_PORT',
    onLog: (line) => logger.debug({ postgres: line }, 'embedded postgres'),
  });
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  try {
    await ensureDatabase(`${base}/postgres`);
  } catch (err) {
    await server.stop();
    throw err;
  }
  logger.info({ dir, port }, 'embedded PostgreSQL started');
  return {
    url: `${base}/${DATABASE_NAME}`,
    async stop() {
      await server.stop();
      logger.info({ dir }, 'embedded PostgreSQL stopped');
    },
  };
}
