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
  /** One readable line per event instead of JSON: by default when stdout is a terminal (`npm start`). */
  pretty?: boolean;
}

/**
 * ECS JSON lines on stdout, with trace ids when the APM agent runs in this process; on a terminal
 * the same events as readable lines (pino-pretty), since nothing parses a terminal. In the container
 * stdout is a pipe to Docker's log driver, so the box always gets JSON.
 * Writes are synchronous, pino's own default: one write(2) per line on the event loop. Asynchronous
 * writes went through libuv's thread pool, and waking a pool thread and then the loop again for every
 * few lines cost more than the write itself on a 2-core box (STEPS.md, monitoring: the create path).
 */
export function createLogger(
  level: string,
  { bindings = {}, apmIntegration = false, pretty = process.stdout.isTTY === true, destination = pretty ? prettyStream(1) : stdout() }: LoggerOptions = {},
): Logger {
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

const stdout = (): DestinationStream => pino.destination({ dest: 1, sync: true });

/**
 * The ECS fields pino-pretty shows: the message and level from their ECS keys, and no per-line boilerplate.
 * Loaded only here: a process logging JSON (the box, a pipe) never loads the formatter and its dependencies.
 * It stays a production dependency because a container's stdout can be a terminal too
 * (`docker compose run` allocates one by default), and the image holds production dependencies only.
 */
export function prettyStream(destination: number | NodeJS.WritableStream): DestinationStream {
  // A synchronous require: createLogger is synchronous, and the app compiles to CommonJS.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pinoPretty = require('pino-pretty') as typeof import('pino-pretty');
  return pinoPretty({
    destination,
    sync: true,
    colorize: typeof destination === 'number' && process.stdout.isTTY === true,
    singleLine: true,
    messageKey: 'message',
    timestampKey: '@timestamp',
    // A dot inside a key is escaped: pino-pretty reads an unescaped one as nesting.
    levelKey: 'log\\.level',
    ignore: 'ecs\\.version,process\\.pid,host\\.hostname',
  });
}
