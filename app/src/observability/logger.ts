import { ecsFormat } from '@elastic/ecs-pino-format';
import pino, { type Logger } from 'pino';

export type { Logger };

/** ECS JSON lines on stdout; trace ids come from the APM agent when it is active. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  const logger = pino({
    ...ecsFormat({ apmIntegration: true }),
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      censor: '[redacted]',
    },
  });
  return Object.keys(bindings).length ? logger.child(bindings) : logger;
}
