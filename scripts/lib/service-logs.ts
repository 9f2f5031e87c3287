// `npm run logs`: the last lines of one or all compose services, read from the box in full.

import { z } from 'zod';
import { composeArgv } from './box.js';
import { OperatorError } from './operator-error.js';
import { runWithFullOutput, type RemoteRunner } from './ssm-output.js';

/** Compose service names: letters, digits, `.`, `_`, `-` (compose's own rule). */
export const serviceSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'expected a compose service name such as app or elasticsearch' });

/** A positive number of lines, or `all`. */
export const tailSchema = z.union([z.literal('all'), z.coerce.number().int().min(1).max(1_000_000)], { error: 'expected a number of lines (1 or more) or all' }).transform(String);

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

export interface LogsRequest {
  service?: string;
  tail: string;
  since?: string;
}

export const composeLogsCommand = ({ service, tail, since }: LogsRequest): string[] =>
  composeArgv('logs', '--no-color', '--tail', tail, ...(since ? ['--since', since] : []), ...(service ? [service] : []));

/** The logs as text; a compose failure (say, an unknown service) becomes one line with a fix. */
export async function fetchLogs(run: RemoteRunner, request: LogsRequest, id: string): Promise<string> {
  const result = await runWithFullOutput(run, composeLogsCommand(request), { id, timeoutSeconds: 120 });
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n').at(-1) || `exit ${result.exitCode}`;
    throw new OperatorError(
      `docker compose logs failed on the box: ${reason}`,
      /no such service/i.test(reason) ? '`npm run status` lists the services; pass one of those names.' : 'Look on the box with `npm run session`.',
    );
  }
  return result.stdout;
}
