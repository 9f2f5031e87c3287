import type { Server } from 'node:http';
import type { Sequelize } from 'sequelize';
import { Server as NetServer } from 'node:net';
import type { Config } from '../config';
import { createSequelize } from '../db/sequelize';
import { databaseReadiness } from '../db/readiness';
import { createApp } from '../http/create-app';
import { MedicationRepository } from '../medications/medication-repository';
import type { Logger } from '../observability/logger';

export interface RunningWorker {
  /** Stops accepting, lets in-flight requests finish, then closes the pool. */
  drain(): Promise<void>;
}

const IDLE_SWEEP_MS = 50;

/** The HTTP app wired to one database: what a worker serves (tests use it in-process). */
export function appOnDatabase(sequelize: Sequelize, logger: Logger, bodyLimit: number, trustProxy: readonly string[] = [], writePasswords: readonly string[] = []) {
  return createApp({
    repository: new MedicationRepository(sequelize),
    readiness: databaseReadiness(sequelize),
    logger,
    bodyLimit,
    trustProxy,
    writePasswords,
  });
}

export async function startWorker(config: Config, databaseUrl: string, logger: Logger): Promise<RunningWorker> {
  const sequelize = createSequelize(databaseUrl, config.DATABASE_POOL_MAX);
  const app = appOnDatabase(sequelize, logger, config.BODY_LIMIT_BYTES, config.TRUST_PROXY, config.WRITE_PASSWORDS);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server.keepAliveTimeout = 65_000; // longer than common load-balancer idle timeouts
  server.headersTimeout = 66_000;

  let draining: Promise<void> | undefined;
  const drain = () =>
    (draining ??= new Promise<void>((resolve) => {
      // http.Server#close would also drop every idle connection at once, including ones just
      // accepted whose request bytes are not read yet. Stop listening only, then sweep idle
      // keep-alive connections from the next tick of the sweep on, until the last one is gone.
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      NetServer.prototype.close.call(server, () => {
        clearInterval(sweep);
        resolve();
      });
    }).then(() => sequelize.close()));

  return { drain };
}
