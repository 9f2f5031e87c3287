import { ConnectionError, DatabaseError } from 'sequelize';

// SQLSTATE classes meaning "no database to talk to right now", not "this query is wrong":
// 08 connection exceptions, 57P01-57P03 shutdown/restart/not yet accepting, 53300 too many connections.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// node-postgres raises these without a code when the server goes away under a connection.
const LOST_CONNECTION = /^(Connection terminated|Client has encountered a connection error|Client was closed)/;

/**
 * True when an error means the database cannot be reached (the request may succeed if retried
 * shortly): the API answers 503 with Retry-After instead of a 500 that reads as a bug.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  const cause = err instanceof DatabaseError ? err.parent : err;
  if (!(cause instanceof Error)) return false;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || SOCKET_ERRORS.has(code))) return true;
  return LOST_CONNECTION.test(cause.message);
}
