import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from './logger';

/** The route that answered (`/api/medications/:id`), or the path when none matched (404, a body the parser refused). */
function routeOf(req: Request, path: string): string {
  const route = req.route as { path?: unknown } | undefined;
  if (typeof route?.path !== 'string') return path;
  return route.path === '/' && req.baseUrl ? req.baseUrl : `${req.baseUrl}${route.path}`;
}

// 503 is the database being away (said once more by the error handler), not a bug in this service.
const levelFor = (status: number) => (status === 503 ? 'warn' : status >= 500 ? 'error' : 'info');

/**
 * One compact ECS line per request, `GET /api/medications 200`: method, route, status, duration;
 * never headers or bodies. Written by hand rather than with pino-http, whose child logger and
 * request id per request cost more than the line itself (STEPS.md, benchmark findings).
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('close', () => logLine(logger, req, res, started));
    next();
  };
}

function logLine(logger: Logger, req: Request, res: Response, started: number): void {
  // Express rewrites req.url inside mounted routers; originalUrl is what the client asked for.
  const path = req.originalUrl.split('?')[0]!;
  const status = res.statusCode;
  const fields = {
    http: { request: { method: req.method }, response: { status_code: status } },
    url: { path },
    event: { duration: Math.round((performance.now() - started) * 1e6) },
  };
  // A client that hangs up first gets no status worth the name: say so instead. Either sign
  // counts: Node 24.12 reports a response written after the hang-up (the body parser's 400)
  // as finished, later releases do not; a request cut off mid-body reads the same on both.
  // A body merely left unread (a 401 sent before parsing) is not a hang-up.
  const aborted = !res.writableFinished || req.readableAborted;
  const outcome = aborted ? 'aborted' : String(status);
  logger[aborted ? 'warn' : levelFor(status)](fields, `${req.method} ${routeOf(req, path)} ${outcome}`);
}
