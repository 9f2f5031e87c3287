import type { Request, RequestHandler } from 'express';
import { HttpProblem } from './problem';
import { READ_METHODS } from './write-credential';

/** Fetch Metadata values of a request this origin made itself, or a person typed (Sec-Fetch-Site). */
const OWN_SITE_VALUES = new Set(['same-origin', 'none']);

/**
 * Whether a write came from another origin's page. Browsers attach cached Basic credentials to a cross-site form
 * POST, so a password alone does not prove the person meant to write. Fetch Metadata decides when the browser sends
 * it; otherwise a browser's Origin must be this origin (req.protocol and req.host follow TRUST_PROXY behind the edge).
 * A client that sends neither, such as curl or a script, is not a browser carrying someone else's credentials.
 */
function fromAnotherOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return !OWN_SITE_VALUES.has(site.toLowerCase());
  const origin = req.get('origin');
  if (origin === undefined) return false;
  return origin !== `${req.protocol}://${req.host}`;
}

/** Refuses a write another site's page makes the browser send (CSRF), with 403 before its credential or body is read. */
export function refuseCrossSiteWrites(): RequestHandler {
  return (req, _res, next) => {
    if (READ_METHODS.has(req.method) || !fromAnotherOrigin(req)) return next();
    next(new HttpProblem(403, 'Writes are accepted only from this site\'s own pages: the request came from another origin. Submit the form on this site, or send the write from a script (without an Origin header).'));
  };
}
