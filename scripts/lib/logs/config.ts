// The logs command's own settings: which service, how many lines, since when. It prints the
// services' own lines, so it has no --json.
import { z } from 'zod';
import { commonFields, commonSchema, flagSchema, type Command } from '../core/config.js';
import { FOLLOW_INTERVAL_MS } from './follow.js';

/** Compose service names: letters, digits, `.`, `_`, `-` (compose's own rule). */
export const serviceSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'expected a compose service name such as app or elasticsearch' });

/** A positive number of lines, or `all`. */
const TAIL_ERROR = 'expected a number of lines (1 or more) or all';
// The bounds carry the same line: a union reports the failing member's own issue (0 would read "Too small").
export const tailSchema = z.union([z.literal('all'), z.coerce.number().int({ error: TAIL_ERROR }).min(1, { error: TAIL_ERROR }).max(1_000_000, { error: TAIL_ERROR })], { error: TAIL_ERROR }).transform(String);

/** What docker accepts: a Go duration (`90s`, `15m`, `1h30m`) or an RFC 3339 date/time. */
export const sinceSchema = z
  .string()
  .regex(/^(?:(?:\d+(?:\.\d+)?(?:ms|s|m|h))+|\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)$/, {
    error: 'expected a duration such as 15m or 2h, or a time such as 2026-11-22T10:00:00Z',
  });

/** `npm run logs app -- --tail 50`: a leading bare word names the service, as if given with --service. */
export function serviceAsFlag(argv: string[]): string[] {
  const [first, ...rest] = argv;
  return first !== undefined && !first.startsWith('-') ? ['--service', first, ...rest] : argv;
}

export const logsFields = {
  env: commonFields.env,
  region: commonFields.region,
  service: { flag: 'service', description: 'one compose service (also the first bare argument; default: all)' },
  tail: { flag: 'tail', env: 'PILLBOX_LOGS_TAIL', description: 'lines per service, or all (default 200)' },
  since: { flag: 'since', description: 'only lines newer than this: 15m, 2h, or 2026-11-22T10:00:00Z' },
  follow: { flag: 'follow', boolean: true, description: `keep printing new lines (asks the box every ${FOLLOW_INTERVAL_MS / 1000}s) until Ctrl-C` },
  debug: commonFields.debug,
  help: commonFields.help,
};

export const logsSchema = commonSchema.extend({ service: serviceSchema.optional(), tail: tailSchema, since: sinceSchema.optional(), follow: flagSchema.default(false) });

export const logsCommand: Command = {
  name: 'logs',
  summary: 'Prints the last lines of one or all compose services on the box, read in full through SSM.',
  fields: logsFields,
};
