import { ecsFormat } from '@elastic/ecs-pino-format';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** Fields on every line, e.g. the process role. */
  bindings?: Record<string, unknown>;
  /** Add trace ids from the APM agent; only where it runs (asking loads it). */
  apmIntegration?: boolean;
  /** Where lines go: stdout unless a test passes its own stream. */
  destination?: DestinationStream;
}

/**
 * ECS JSON lines on stdout, with trace ids when the APM agent runs in this process.
 * Writes are asynchronous: lines logged while a write is in flight go out together in the next
 * one instead of one blocking syscall each. Whatever is pending is written on process exit.
 */
export function createLogger(level: string, { bindings = {}, apmIntegration = false, destination = stdout() }: LoggerOptions = {}): Logger {
  const logger = pino({
    ...ecsFormat({ apmIntegration }),
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
