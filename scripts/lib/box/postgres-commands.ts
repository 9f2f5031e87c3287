// The PostgreSQL commands pillbox runs on the box: inside the postgres container, as its
// superuser over the local socket (the image trusts local connections), so the client
// tools always match the server's version. Built once here: the backup script renders
// them, the restore flow sends them, and a test runs the same argv against a real server.
import { composeArgv } from './compose.js';

/** The compose service, the database and the schema compose/postgres/init-app-role.sh creates. */
export const POSTGRES_SERVICE = 'postgres';
export const DATABASE = 'pillbox';
export const APP_SCHEMA = 'pillbox';
const SUPERUSER = 'postgres';

/** `-T`: no TTY, so binary output (a dump) passes through untouched. */
export const inPostgres = (argv: readonly string[]): string[] => composeArgv('exec', '-T', POSTGRES_SERVICE, ...argv);

const connect = [`--username=${SUPERUSER}`, `--dbname=${DATABASE}`, '--no-password'];

/** The whole database as a custom-format archive on stdout. */
export const pgDumpArgv = (): string[] => ['pg_dump', ...connect, '--format=custom'];

/** Reads an archive's table of contents from stdin: fails on a truncated or damaged dump. */
export const pgListArgv = (): string[] => ['pg_restore', '--list'];

/**
 * The archive on stdin as SQL on stdout. pg_restore reads the whole archive to write it,
 * so a zero exit means the SQL is complete; only then is it applied.
 */
export const pgRestoreSqlArgv = (): string[] => ['pg_restore', '--file=-'];

/**
 * Applies that SQL in one transaction together with dropping the app's schema: the result
 * is exactly the backup (tables a newer migration added go too; the app migrates forward
 * when it starts), and any error rolls everything back to the data as it was.
 */
export const psqlApplyArgv = (): string[] => [
  'psql',
  ...connect,
  '--no-psqlrc',
  '--quiet',
  '--set=ON_ERROR_STOP=1',
  '--single-transaction',
  `--command=DROP SCHEMA IF EXISTS ${APP_SCHEMA} CASCADE`,
  '--file=-',
];

/** Exact row counts of every table in the app's schema, one `table|count` line each (one line of SQL: it travels in a shell line). */
export const ROW_COUNTS_SQL = [
  'SELECT c.relname,',
  "(xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text",
  'FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace',
  `WHERE n.nspname = '${APP_SCHEMA}' AND c.relkind IN ('r', 'p')`,
  'ORDER BY 1',
].join(' ');

export const rowCountsArgv = (): string[] => ['psql', ...connect, '--no-psqlrc', '--no-align', '--tuples-only', `--command=${ROW_COUNTS_SQL}`];

export function parseRowCounts(stdout: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    const match = /^([^|]+)\|(\d+)$/.exec(line.trim());
    if (match) counts[match[1]!] = Number(match[2]);
  }
  return counts;
}

/** `medications 42, schema_migrations 1` */
export const formatRowCounts = (rows: Record<string, number>): string =>
  Object.entries(rows)
    .map(([table, n]) => `${table} ${n}`)
    .join(', ') || 'no tables';
