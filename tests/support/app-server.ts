// The app in-process, on an ephemeral port, against a fresh migrated database.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Sequelize } from 'sequelize';
import { appOnDatabase } from '../../app/src/cluster/worker.js';
import { migrate } from '../../app/src/db/migrate.js';
import { createSequelize } from '../../app/src/db/sequelize.js';
import { freshDatabase } from './postgres.js';

export interface TestApp {
  url: string;
  databaseUrl: string;
  sequelize: Sequelize;
  /** Row count straight from the table, to prove what was (not) stored. */
  count(): Promise<number>;
  close(): Promise<void>;
}

export async function startTestApp(options: { bodyLimit?: number } = {}): Promise<TestApp> {
  const databaseUrl = await freshDatabase('app');
  const logger = pino({ level: 'silent' });
  const sequelize = createSequelize(databaseUrl, 10);
  await migrate(databaseUrl, sequelize, logger);
  const app = appOnDatabase(sequelize, logger, options.bodyLimit ?? 16384);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    databaseUrl,
    sequelize,
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
