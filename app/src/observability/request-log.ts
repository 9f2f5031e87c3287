import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from './logger';

// Express rewrites req.url inside mounted routers; originalUrl is what the client asked for.
const pathOf = (req: IncomingMessage) => ((req as Partial<Request>).originalUrl ?? req.url ?? '').split('?')[0]!;

/** The route that answered (`/api/medications/:id`), or the path when none matched (404, a body the parser refused). */
function routeOf(req: IncomingMessage): string {
  const { route, baseUrl = '' } = req as Partial<Request> & { route?: { path: string } };
  if (!route) return pathOf(req);
  return route.path === '/' && baseUrl ? baseUrl : `${baseUrl}${route.path}`;
}

/** One compact ECS line per request, `GET /api/medications 200`: method, route, status, duration. Never headers or bodies. */
function ecsFields(req: IncomingMessage, res: ServerResponse, responseTime: number) {
  return {
    http: { request: { method: req.method }, response: { status_code: res.statusCode } },
    url: { path: pathOf(req) },
    event: { duration: Math.round(responseTime * 1e6) },
  };
}

const message = (req: IncomingMessage, res: ServerResponse) => `${req.method} ${routeOf(req)} ${res.statusCode}`;

export function requestLog(logger: Logger) {
  return pinoHttp({
    logger,
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    quietReqLogger: true,
    // The ECS fields below replace pino-http's default dump of every header.
    wrapSerializers: false,
    serializers: { req: () => undefined, res: () => undefined },
    // 503 is the database being away (said once more by the handler), not a bug in this service.
    customLogLevel: (_req, res, err) => (res.statusCode === 503 ? 'warn' : err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: message,
    customErrorMessage: message,
    customSuccessObject: (req, res, val: { responseTime: number }) => ecsFields(req, res, val.responseTime),
    customErrorObject: (req, res, err, val: { responseTime: number }) => ({ ...ecsFields(req, res, val.responseTime), err }),
  });
}
