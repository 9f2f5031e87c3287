import pg from 'pg';
import type { QueryInterface, Sequelize, Transaction } from 'sequelize';
import type { Logger } from '../observability/logger';
import { migrations as allMigrations } from './migrations';

/** A forward-only schema change; every statement it runs passes `transaction` (see STEPS.md: expand, then contract). */
export interface Migration {
  name: string;
  up(queryInterface: QueryInterface, transaction: Transaction): Promise<void>;
}

// Any fixed 64-bit key works; this one is the ASCII bytes of "pillbox", recognisable in pg_locks.
const MIGRATION_LOCK_KEY = '31641111787368312';
const TABLE = 'schema_migrations';

async function appliedNames(sequelize: Sequelize): Promise<Set<string>> {
  // The same table and column the earlier umzug storage used, so existing databases carry on.
  await sequelize.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (name VARCHAR(255) PRIMARY KEY)`);
  const [rows] = await sequelize.query(`SELECT name FROM ${TABLE}`);
  return new Set((rows as Array<{ name: string }>).map((r) => r.name));
}

/**
 * Applies pending migrations once, however many processes start at the same moment: a
 * session-level advisory lock held on a dedicated connection serialises them, and the ones
 * that wait find nothing left to do. Each migration and the row recording it commit together
 * or not at all, so a failure leaves no half-applied schema to trip over on the next start.
 */
export async function migrate(databaseUrl: string, sequelize: Sequelize, logger: Logger, migrations: Migration[] = allMigrations): Promise<string[]> {
  const lockClient = new pg.Client({ connectionString: databaseUrl });
  await lockClient.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await appliedNames(sequelize);
    const pending = migrations.filter((m) => !applied.has(m.name));
    for (const migration of pending) {
      const started = Date.now();
      await sequelize.transaction(async (transaction) => {
        await migration.up(sequelize.getQueryInterface(), transaction);
        await sequelize.query(`INSERT INTO ${TABLE} (name) VALUES ($1)`, { bind: [migration.name], transaction });
      });
      logger.info({ migration: migration.name, durationMs: Date.now() - started }, 'migration applied');
    }
    return pending.map((m) => m.name);
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockClient.end();
  }
}

/** True when every known migration has been recorded (used by readiness). */
export async function migrationsApplied(sequelize: Sequelize, migrations: Migration[] = allMigrations): Promise<boolean> {
  try {
    const [rows] = await sequelize.query(`SELECT name FROM ${TABLE} WHERE name IN (:names)`, {
      replacements: { names: migrations.map((m) => m.name) },
    });
    return (rows as unknown[]).length === migrations.length;
  } catch (err) {
    // 42P01: no such table yet, i.e. nothing applied.
    if ((err as { parent?: { code?: string } }).parent?.code === '42P01') return false;
    throw err;
  }
}
