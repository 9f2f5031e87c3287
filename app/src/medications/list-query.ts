import { decodeCursor } from './cursor';
import type { FieldError, Validated } from './medication-input';
import { NAME_MAX } from './medication';
import type { ListQuery } from './medication-repository';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

type RawQuery = Record<string, unknown>;

const single = (value: unknown): string | undefined | null =>
  value === undefined ? undefined : typeof value === 'string' ? value : null;

/** Reads `limit`, `cursor` and `q` from a query string; a repeated or malformed one is an error, not a guess. */
export function parseListQuery(query: RawQuery): Validated<ListQuery> {
  const errors: FieldError[] = [];
  const limitRaw = single(query.limit);
  const cursorRaw = single(query.cursor);
  const qRaw = single(query.q);

  let limit = DEFAULT_LIMIT;
  if (limitRaw === null || (limitRaw !== undefined && !/^\d{1,3}$/.test(limitRaw))) {
    errors.push({ parameter: 'limit', detail: `must be a whole number from 1 to ${MAX_LIMIT}` });
  } else if (limitRaw !== undefined) {
    limit = Number(limitRaw);
    if (limit < 1 || limit > MAX_LIMIT) errors.push({ parameter: 'limit', detail: `must be a whole number from 1 to ${MAX_LIMIT}` });
  }

  const cursor = cursorRaw ? decodeCursor(cursorRaw) : null;
  if (cursorRaw === null || (cursorRaw && !cursor)) {
    errors.push({ parameter: 'cursor', detail: 'must be a nextCursor value returned by this endpoint' });
  }

  const q = qRaw?.trim() || null;
  if (qRaw === null || (q && ([...q].length > NAME_MAX || !q.isWellFormed() || q.includes('\u0000')))) {
    errors.push({ parameter: 'q', detail: `must be text of at most ${NAME_MAX} characters` });
  }

  return errors.length ? { ok: false, errors } : { ok: true, value: { limit, cursor, q } };
}
