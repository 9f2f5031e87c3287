// Entry point for both roles of the cluster. Preload observability/apm-start first (see package.json).
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config';
import { apmAgentStarted } from './observability/apm-start';
import { createLogger, type Logger } from './observability/logger';

function configOrExit(): Config {
  try {
    const config = loadConfig(process.env);
    if (config.NODE_ENV === 'production' && !config.DATABASE_URL) {
      throw new ConfigError('DATABASE_URL=: required when NODE_ENV=production (postgres://user:password@host:5432/db)');
    }
    return config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

// Each role loads only its own code: the primary never needs express, a worker never the supervisor.
async function worker(config: Config, logger: Logger): Promise<void> {
  const { startWorker } = await import('./cluster/worker.js');
  const running = await startWorker(config, config.DATABASE_URL!, logger);
  logger.info({ port: config.PORT }, 'worker listening');
  const stop = () => running.drain().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // An orphaned worker (primary killed) must not keep serving on its own.
  process.once('disconnect', stop);
}

async function main(): Promise<void> {
  const config = configOrExit();
  const role = cluster.isPrimary ? 'primary' : `worker-${process.env.PILLBOX_WORKER_SLOT ?? '?'}`;
  const logger = createLogger(config.LOG_LEVEL, { bindings: { role }, apmIntegration: apmAgentStarted });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });
  if (cluster.isPrimary) {
    // The exit code says how the primary ended: 1 after a crash loop or a forced stop.
    const { runPrimary } = await import('./cluster/primary.js');
    process.exit(await runPrimary(config, logger));
  }
  await worker(config, logger);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`pillbox failed to start: ${message}\n`);
  process.exit(1);
});
