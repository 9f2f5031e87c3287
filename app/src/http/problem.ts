import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { isDatabaseUnavailable } from '../db/database-unavailable';
import type { FieldError } from '../medications/medication-input';
import type { Logger } from '../observability/logger';

/**
 * Problem types with a title of their own (RFC 9457 §4). Each has its own type URI, relative to
 * the API and documented at that address; every other problem is `about:blank`, titled with the
 * HTTP status phrase (§4.2.1).
 */
export const PROBLEM_TYPES = {
  'invalid-body': {
    title: 'Invalid request body',
    description: 'The JSON body is well formed but some fields break the rules. The errors member lists each one with a JSON Pointer to the field (#/strength) and what is expected.',
  },
  'invalid-query': {
    title: 'Invalid query parameters',
    description: 'A query parameter is repeated or malformed. The errors member lists each one with the parameter name and what is expected.',
  },
  'malformed-json': {
    title: 'Malformed JSON',
    description: 'The request body is not a JSON document. Send one JSON object with the content type application/json.',
  },
} as const;

export type ProblemType = keyof typeof PROBLEM_TYPES;

export const problemTypeUri = (type: ProblemType) => `/problems/${type}`;

/** Seconds a client should wait before retrying while the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/** An RFC 9457 problem; thrown by handlers and rendered in one place per surface (JSON, HTML). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: { type?: ProblemType; errors?: FieldError[]; retryAfterSeconds?: number; /** WWW-Authenticate of a 401. */ challenge?: string } = {},
  ) {
    super(detail);
  }

  get title(): string {
    return this.extra.type ? PROBLEM_TYPES[this.extra.type].title : (STATUS_CODES[this.status] ?? 'Error');
  }

  toJSON() {
    return {
      type: this.extra.type ? problemTypeUri(this.extra.type) : 'about:blank',
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(this.extra.errors ? { errors: this.extra.errors } : {}),
    };
  }
}

export const invalidBody = (errors: FieldError[]) =>
  new HttpProblem(422, `${errors.length} field(s) failed validation.`, { type: 'invalid-body', errors });

export const invalidQuery = (errors: FieldError[]) =>
  new HttpProblem(400, `${errors.length} query parameter(s) are not valid.`, { type: 'invalid-query', errors });

export const notFound = (detail: string) => new HttpProblem(404, detail);

/** What body-parser (and any http-errors 4xx) says the client did wrong, in words a client can act on. */
const CLIENT_ERROR_DETAILS: Record<string, (err: { limit?: number; message: string }) => string> = {
  'entity.too.large': (err) => `The request body exceeds ${err.limit ?? 'the allowed'} bytes.`,
  'parameters.too.many': () => 'The form has more fields than this endpoint accepts.',
  'encoding.unsupported': () => 'Send the body uncompressed, as UTF-8.',
  'charset.unsupported': () => 'Send the body as UTF-8.',
  'request.aborted': () => 'The client closed the request before the body arrived.',
  'request.size.invalid': () => 'The body is not as long as its Content-Length says.',
};

interface ClientError {
  status: number;
  /** http-errors sets it; the router's URIError for a malformed %-escape in a path has none. */
  expose?: boolean;
  type?: string;
  limit?: number;
  message: string;
}

const isClientError = (err: unknown): err is ClientError => {
  const { status } = (err ?? {}) as Partial<ClientError>;
  return typeof status === 'number' && status >= 400 && status < 500;
};

/** Any error as the problem the client sees: its own 4xx, 503 while the database is away, else 500. */
export function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (isClientError(err)) {
    if (err.type === 'entity.parse.failed') {
      return new HttpProblem(400, 'The request body is not valid JSON; send one JSON object.', { type: 'malformed-json' });
    }
    const detail = err.type ? CLIENT_ERROR_DETAILS[err.type] : undefined;
    return new HttpProblem(err.status, detail ? detail(err) : err.expose === false ? 'The request is malformed.' : `${err.message}.`);
  }
  if (isDatabaseUnavailable(err)) {
    return new HttpProblem(503, 'The database is unavailable; try again shortly.', { retryAfterSeconds: RETRY_AFTER_SECONDS });
  }
  return new HttpProblem(500, 'The server failed to handle the request.');
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(notFound(`No route for ${req.method} ${req.path}.`));
};

const sendJson = (res: Response, problem: HttpProblem) => {
  res.status(problem.status).type('application/problem+json').json(problem);
};

/**
 * Where errors become responses: problem+json by default, or what `send` renders (the HTML
 * page). Logs only what the server got wrong; client errors are in the request log line.
 */
export function problemHandler(logger: Logger, send: (res: Response, problem: HttpProblem) => void = sendJson): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const problem = toProblem(err);
    const context = { err, url: req.originalUrl, method: req.method };
    if (problem.status === 503) logger.warn(context, 'database unavailable');
    else if (problem.status >= 500) logger.error(context, 'request failed');
    if (res.headersSent) return;
    if (problem.extra.retryAfterSeconds) res.set('Retry-After', String(problem.extra.retryAfterSeconds));
    if (problem.extra.challenge) res.set('WWW-Authenticate', problem.extra.challenge);
    send(res, problem);
  };
}
