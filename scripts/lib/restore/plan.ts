// The commands `npm run restore` sends to the box, as argv built by pure functions. Files
// travel as positional parameters of `sh -c`, never spliced into shell text.
//
// Order: download and verify the dump, render it as SQL (which reads the whole archive),
// and only then stop the app, apply the SQL in one transaction and start the app again.
// Everything that can refuse does so while the app still serves.
import { composeArgv } from '../box/compose.js';
import { S3_BIN, WORK_DIR } from '../box/layout.js';
import { inPostgres, pgRestoreSqlArgv, psqlApplyArgv, rowCountsArgv } from '../box/postgres-commands.js';
import { APP_SERVICE } from '../deploy/plan.js';

/** Seconds each step may run on the box. */
export const RESTORE_TIMEOUTS = { quick: 60, download: 1800, render: 1800, apply: 3600 } as const;

/** The S3 script's exit code for a download whose SHA-256 is not the expected one. */
export const CHECKSUM_MISMATCH_EXIT = 65;

export interface RestoreFiles {
  dump: string;
  sql: string;
}

export function restoreFiles(id: string): RestoreFiles {
  if (!/^[a-f0-9]{8,64}$/.test(id)) throw new Error(`restore id must be lowercase hex, got ${JSON.stringify(id)}`);
  return { dump: `${WORK_DIR}/restore-${id}.dump`, sql: `${WORK_DIR}/restore-${id}.sql` };
}

/** Runs argv with stdin from a file and, when given, stdout to another. */
export const withFiles = (argv: readonly string[], stdin: string, stdout?: string): string[] =>
  stdout === undefined ? ['sh', '-c', 'i=$1; shift; exec "$@" <"$i"', 'sh', stdin, ...argv] : ['sh', '-c', 'i=$1; o=$2; shift 2; exec "$@" <"$i" >"$o"', 'sh', stdin, stdout, ...argv];

export const downloadCommand = (key: string, sha256: string, file: string): string[] => [S3_BIN, 'get', key, sha256, file];
export const renderSqlCommand = (files: RestoreFiles): string[] => withFiles(inPostgres(pgRestoreSqlArgv()), files.dump, files.sql);
export const stopAppCommand = (): string[] => composeArgv('stop', APP_SERVICE);
export const applyCommand = (files: RestoreFiles): string[] => withFiles(inPostgres(psqlApplyArgv()), files.sql);
/**
 * Starts only the app again (the edge sends it traffic as before) and returns once its
 * healthcheck passes, or fails after the timeout.
 */
export const startAppCommand = (waitSeconds: number): string[] => composeArgv('up', '--detach', '--no-deps', '--wait', '--wait-timeout', String(waitSeconds), APP_SERVICE);
export const rowCountsCommand = (): string[] => inPostgres(rowCountsArgv());
export const removeFilesCommand = (files: RestoreFiles): string[] => ['rm', '-f', '--', files.dump, files.sql];
