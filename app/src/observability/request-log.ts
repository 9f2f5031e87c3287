import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from './logger';

/** One compact ECS line per request: method, path, status, duration. Never headers or bodies. */
function ecsFields(req: IncomingMessage, res: ServerResponse, responseTime: number) {
  return {
    http: { request: { method: req.method }, response: { status_code: res.statusCode } },
    // Express rewrites req.url inside mounted routers; originalUrl is what the client asked for.
    url: { path: ((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0] },
    event: { duration: Math.round(responseTime * 1e6) },
  };
}

export function requestLog(logger: Logger) {
  return pinoHttp({
    logger,
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    quietReqLogger: true,
    // The ECS fields below replace pino-http's default dump of every header.
    wrapSerializers: false,
    serializers: { req: () => undefined, res: () => undefined },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${res.statusCode}`,
    customSuccessObject: (req, res, val: { responseTime: number }) => ecsFields(req, res, val.responseTime),
    customErrorObject: (req, res, err, val: { responseTime: number }) => ({ ...ecsFields(req, res, val.responseTime), err }),
  });
}
