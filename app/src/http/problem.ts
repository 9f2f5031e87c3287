import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { FieldError } from '../medications/medication-input';
import type { Logger } from '../observability/logger';

/** An RFC 9457 problem; thrown by handlers and rendered in one place. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
  }
}

export const invalidBody = (errors: FieldError[]) =>
  new HttpProblem(422, 'Invalid request body', `${errors.length} field(s) failed validation.`, errors);

export const notFound = (detail: string) => new HttpProblem(404, 'Not found', detail);

// body-parser's error types, mapped to what the client did wrong.
const PARSER_PROBLEMS: Record<string, (err: { limit?: number }) => HttpProblem> = {
  'entity.parse.failed': () => new HttpProblem(400, 'Malformed JSON', 'The request body is not valid JSON; send one JSON object.'),
  'entity.too.large': (err) =>
    new HttpProblem(413, 'Request body too large', `The request body exceeds ${err.limit ?? 'the'} bytes.`),
  'encoding.unsupported': () =>
    new HttpProblem(415, 'Unsupported content encoding', 'Send the body uncompressed, as UTF-8.'),
  'charset.unsupported': () => new HttpProblem(415, 'Unsupported charset', 'Send the body as UTF-8.'),
  'request.aborted': () => new HttpProblem(400, 'Request aborted', 'The client closed the request early.'),
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(notFound(`No route for ${req.method} ${req.path}.`));
};

/** The only place responses for errors are written: problem+json, never a stack trace. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const parserType = (err as { type?: string }).type;
    const known = parserType ? PARSER_PROBLEMS[parserType] : undefined;
    const problem =
      err instanceof HttpProblem
        ? err
        : known
          ? known(err as { limit?: number })
          : new HttpProblem(500, 'Internal Server Error', 'The server failed to handle the request.');
    if (problem.status >= 500) logger.error({ err, url: req.originalUrl, method: req.method }, 'request failed');
    if (res.headersSent) return;
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({
        type: 'about:blank',
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        ...(problem.errors ? { errors: problem.errors } : {}),
      });
  };
}
