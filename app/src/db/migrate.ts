import pg from 'pg';
import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import type { Logger } from '../observability/logger';
import { migrations } from './migrations';

// Any fixed 64-bit key works; this one is the ASCII bytes of "pillbox", recognisable in pg_locks.
const MIGRATION_LOCK_KEY = '31641111787368312';

function createUmzug(sequelize: Sequelize, logger: Logger) {
  return new Umzug({
    migrations: migrations.map((m) => ({ name: m.name, up: m.up, down: m.down })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: {
      info: (event) => logger.info({ migration: event }, 'migration'),
      warn: (event) => logger.warn({ migration: event }, 'migration'),
      error: (event) => logger.error({ migration: event }, 'migration'),
      debug: () => undefined,
    },
  });
}

/**
 * Applies pending migrations once, however many processes start at the same moment:
 * a session-level advisory lock held on a dedicated connection serialises them, and
 * the ones that wait find nothing left to do.
 */
export async function migrate(databaseUrl: string, sequelize: Sequelize, logger: Logger): Promise<string[]> {
  const lockClient = new pg.Client({ connectionString: databaseUrl });
  await lockClient.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await createUmzug(sequelize, logger).up();
    return applied.map((m) => m.name);
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockClient.end();
  }
}

/** True when every known migration has been recorded (used by readiness). */
export async function migrationsApplied(sequelize: Sequelize, logger: Logger): Promise<boolean> {
  const pending = await createUmzug(sequelize, logger).pending();
  return pending.length === 0;
}
