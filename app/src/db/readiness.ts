import type { Sequelize } from 'sequelize';
import type { Readiness } from '../http/health-routes';
import { migrationsApplied } from './migrate';

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Database reachable on every call; the schema check is cached once true, since migrations never un-apply. */
export function databaseReadiness(sequelize: Sequelize, timeoutMs = 2000): Readiness {
  let schemaCurrent = false;
  return {
    async check() {
      await withTimeout(sequelize.query('SELECT 1'), timeoutMs);
      if (!schemaCurrent) schemaCurrent = await migrationsApplied(sequelize);
      return schemaCurrent ? null : 'migrations pending';
    },
  };
}
