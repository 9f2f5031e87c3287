import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { HttpProblem } from './problem';

/** The challenge a browser answers with its own password prompt, then resends the form with (RFC 7617). */
export const WRITE_CHALLENGE = 'Basic realm="pillbox writes", charset="UTF-8"';

/** Methods that change nothing: never guarded. */
export const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

const digest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** The password an Authorization header carries: Bearer <password>, or Basic with any user name. */
function presentedPassword(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (space < 0 || value === '') return undefined;
  if (scheme === 'bearer') return value;
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

const HOW_TO_SEND = 'send it as HTTP Basic credentials (any user name) or as "Authorization: Bearer <password>"';

const unauthorized = (detail: string) => new HttpProblem(401, detail, { challenge: WRITE_CHALLENGE });
const missing = () => unauthorized(`Writing needs the write password: ${HOW_TO_SEND}.`);
const refused = () => unauthorized(`The write password sent is not the current one: ${HOW_TO_SEND}.`);

/**
 * Lets reads through and requires one of `passwords` on every other method. Each password is compared as a
 * SHA-256 digest with timingSafeEqual, against every accepted one, so neither its length nor which one matched
 * shows in the time taken. No passwords: writes stay open (the local default), and nothing is checked.
 */
export function requireWriteCredential(passwords: readonly string[]): RequestHandler {
  const accepted = passwords.map(digest);
  if (accepted.length === 0) return (_req, _res, next) => next();
  return (req, _res, next) => {
    if (READ_METHODS.has(req.method)) return next();
    const presented = presentedPassword(req);
    if (presented === undefined) return next(missing());
    const candidate = digest(presented);
    const matched = accepted.reduce((found, each) => timingSafeEqual(each, candidate) || found, false);
    next(matched ? undefined : refused());
  };
}
