import { ecsFormat } from '@elastic/ecs-pino-format';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * ECS JSON lines on stdout (tests pass their own destination); trace ids come from the APM agent when it is active.
 * Writes are asynchronous: lines logged while a write is in flight go out together in the next
 * one instead of one blocking syscall each. Whatever is pending is written on process exit.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, destination: DestinationStream = stdout()): Logger {
  const logger = pino({
    ...ecsFormat({ apmIntegration: true }),
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      censor: '[redacted]',
    },
  }, destination);
  return Object.keys(bindings).length ? logger.child(bindings) : logger;
}

function stdout(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false });
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // stdout already closed: nothing left to write to.
    }
  });
  return destination;
}
