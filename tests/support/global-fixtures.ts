import { stopPostgres } from './postgres.js';

/** Mocha global teardown: the shared PostgreSQL must not outlive the run (mocha exits with --exit). */
export async function mochaGlobalTeardown(): Promise<void> {
  await stopPostgres();
}
