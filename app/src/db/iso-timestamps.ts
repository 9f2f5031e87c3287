import pg from 'pg';
import type { CustomTypesConfig } from 'pg';

// PostgreSQL's text for a timestamptz in UTC (DateStyle ISO, the session time zone Sequelize sets).
const UTC_TIMESTAMPTZ = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/**
 * A timestamptz as the ISO 8601 string the API returns (`2026-12-07T20:19:47.496Z`), straight from
 * PostgreSQL's text: parsing each one into a Date and serialising it again (Date#toJSON inside
 * JSON.stringify) was about a third of a list request's CPU. Milliseconds are truncated, as a
 * Date would; any other shape (an offset, BC, infinity) goes through pg's own parser.
 */
export function isoTimestamp(text: string): string {
  const match = UTC_TIMESTAMPTZ.exec(text);
  if (!match) return (defaultTimestamptz(text) as Date).toISOString();
  const millis = (match[3] ?? '').padEnd(3, '0').slice(0, 3);
  return `${match[1]}T${match[2]}.${millis}Z`;
}

const defaultTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text');

/** pg's parsers, except timestamptz as ISO strings: for the queries whose rows go straight into JSON. */
export const isoTimestampTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.TIMESTAMPTZ && format !== 'binary' ? isoTimestamp : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};
