// The app in-process, on an ephemeral port, against a fresh migrated database.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Sequelize } from 'sequelize';
import { appOnDatabase } from '../../app/src/cluster/worker.js';
import { migrate } from '../../app/src/db/migrate.js';
import { createSequelize } from '../../app/src/db/sequelize.js';
import { createLogger } from '../../app/src/observability/logger.js';
import { freshDatabase } from './postgres.js';

export interface TestApp {
  url: string;
  databaseUrl: string;
  sequelize: Sequelize;
  /** Every log line so far, in the app's own ECS format. */
  logs: Array<Record<string, unknown>>;
  /** Row count straight from the table, to prove what was (not) stored. */
  count(): Promise<number>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  bodyLimit?: number;
  /** Serve from this database (migrated here) instead of a fresh one, e.g. through a proxy a test can cut. */
  databaseUrl?: string;
  /** WRITE_PASSWORDS: writes need one of these; none leaves them open. */
  writePasswords?: string[];
  /** TRUST_PROXY: the proxies whose X-Forwarded-* headers the app believes. */
  trustProxy?: string[];
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await freshDatabase('app'));
  const logs: Array<Record<string, unknown>> = [];
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('info', { destination: lines });
  const sequelize = createSequelize(databaseUrl, 10);
  await migrate(databaseUrl, sequelize, logger);
  const app = appOnDatabase(sequelize, logger, options.bodyLimit ?? 16384, options.trustProxy, options.writePasswords);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    databaseUrl,
    sequelize,
    logs,
    async count() {
      const [rows] = await sequelize.query('SELECT count(*)::int AS n FROM medications');
      return (rows as Array<{ n: number }>)[0]!.n;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await sequelize.close();
    },
  };
}
