import type { Config } from '../config';
import { startEmbeddedDatabase, type Database } from '../db/embedded-database';
import { migrate } from '../db/migrate';
import { createSequelize } from '../db/sequelize';
import type { Logger } from '../observability/logger';
import { Supervisor, type ExitCode } from './supervisor';

async function resolveDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, stop: async () => undefined };
  return startEmbeddedDatabase(config.EMBEDDED_PG_DIR, config.EMBEDDED_PG_PORT, logger);
}

async function applyMigrations(url: string, logger: Logger): Promise<void> {
  const sequelize = createSequelize(url, 1);
  try {
    const applied = await migrate(url, sequelize, logger);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'schema is current');
  } finally {
    await sequelize.close();
  }
}

/** Primary: database, migrations once, then the workers until a signal or a crash loop ends them. */
export async function runPrimary(config: Config, logger: Logger): Promise<ExitCode> {
  // Listening from the start: the embedded database runs in its own process group, so a Ctrl-C
  // that arrived while it was starting and ended this process at once would leave it running.
  let stopSignal: NodeJS.Signals | undefined;
  let supervisor: Supervisor | undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stopSignal = signal;
      supervisor?.stop(signal);
    });
  }
  const database = await resolveDatabase(config, logger);
  try {
    await applyMigrations(database.url, logger);
    if (stopSignal) {
      logger.info({ reason: stopSignal }, 'stopped while starting');
      return 0;
    }
    supervisor = new Supervisor({
      workers: config.WEB_CONCURRENCY,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      workerEnv: { DATABASE_URL: database.url },
      workerExecArgv: [
        `--max-old-space-size=${config.WORKER_MAX_OLD_SPACE_MB}`,
        `--max-semi-space-size=${config.WORKER_MAX_SEMI_SPACE_MB}`,
      ],
      logger,
    });
    const started = await Promise.race([supervisor.start().then(() => true), supervisor.done.then(() => false)]);
    if (started) {
      logger.info({ workers: config.WEB_CONCURRENCY, url: `http://${config.HOST}:${config.PORT}` }, 'pillbox is listening');
    }
    return await supervisor.done;
  } finally {
    await database.stop();
  }
}
