// Restores an environment's database from a backup in the project bucket: verify, render,
// stop the app, apply in one transaction, start the app, count the rows.
import type { Manifest } from '../aws/backup-catalog.js';
import { resolveBackup, type VerifiedBackup } from '../aws/backup-catalog.js';
import type { Storage } from '../aws/bucket.js';
import { takeBackup } from '../backup/run.js';
import type { RemoteResult, RemoteRunner } from '../box/ssm-output.js';
import { parseRowCounts } from '../box/postgres-commands.js';
import { OperatorError } from '../core/operator-error.js';
import type { Progress } from '../core/progress.js';
import { formatUtc } from '../core/time.js';
import {
  applyCommand,
  CHECKSUM_MISMATCH_EXIT,
  downloadCommand,
  removeFilesCommand,
  renderSqlCommand,
  restoreFiles,
  RESTORE_TIMEOUTS,
  rowCountsCommand,
  startAppCommand,
  stopAppCommand,
} from './plan.js';

export interface RestoreDeps {
  run: RemoteRunner;
  storage: Storage;
  progress: Pick<Progress, 'step' | 'note'>;
  /** Hex ids for the files on the box. */
  newId: () => string;
  /** Asks before the data is replaced, naming the backup found; false stops with nothing changed. */
  confirm: (question: string) => Promise<boolean>;
}

export interface RestoreRequest {
  env: string;
  /** `latest`, a stamp, or a backup key. */
  from: string;
  /** Back up the data the restore replaces first (not for a box launched a moment ago). */
  backupFirst: boolean;
  /** Seconds the app may take to turn healthy again. */
  healthTimeoutSeconds: number;
}

export interface RestoreResult {
  restored: VerifiedBackup;
  /** The backup of the replaced data, when one was taken. */
  before?: Manifest;
  rows: Record<string, number>;
}

const lastLines = (text: string, n = 15): string => text.trim().split('\n').slice(-n).join('\n') || '(no output)';

async function must(run: RemoteRunner, argv: readonly string[], timeoutSeconds: number, failure: (r: RemoteResult) => OperatorError): Promise<RemoteResult> {
  const result = await run(argv, { timeoutSeconds });
  if (result.exitCode !== 0) throw failure(result);
  return result;
}

/** Restores, or returns undefined when the operator says no. */
export async function restoreDatabase({ run, storage, progress, newId, confirm }: RestoreDeps, request: RestoreRequest): Promise<RestoreResult | undefined> {
  // Resolved before any new backup is taken, so "latest" never means the data being replaced.
  const restored = await progress.step(`Find and verify backup ${request.from}`, () => resolveBackup(storage, request.env, request.from));
  const taken = `${formatUtc(restored.at)}, commit ${restored.commit.slice(0, 7)}, ${restored.reason}`;
  if (!(await confirm(`Replace the data of "${request.env}" with ${restored.key} (${taken})?`))) return undefined;
  const before = request.backupFirst ? await progress.step('Back up the data the restore replaces', () => takeBackup(run, 'pre-restore')) : undefined;
  const files = restoreFiles(newId());
  try {
    await progress.step(`Download ${restored.key} to the box and check its SHA-256`, () =>
      must(run, downloadCommand(restored.key, restored.sha256, files.dump), RESTORE_TIMEOUTS.download, (r) =>
        r.exitCode === CHECKSUM_MISMATCH_EXIT
          ? new OperatorError(`Refusing to restore ${restored.key}: checksum mismatch after download.\n${lastLines(r.stderr, 2)}`, 'Nothing changed. Run the restore again; if it repeats, pick another backup from `npm run backups`.')
          : new OperatorError(`The box could not download ${restored.key}:\n${lastLines(r.stderr)}`, 'Nothing changed. Check the instance role reaches the bucket (`npm run provision` rewrites its policy) and try again.'),
      ),
    );
    await progress.step('Read the whole dump (pg_restore)', () =>
      must(run, renderSqlCommand(files), RESTORE_TIMEOUTS.render, (r) => new OperatorError(`pg_restore could not read ${restored.key}:\n${lastLines(r.stderr)}`, 'Nothing changed. The dump is damaged; pick another backup from `npm run backups`.')),
    );
    await progress.step('Stop the app', () => must(run, stopAppCommand(), RESTORE_TIMEOUTS.quick, (r) => new OperatorError(`Could not stop the app:\n${lastLines(r.stderr)}`, 'Nothing changed. Look with `npm run status`.')));
    let applyError: unknown;
    await progress
      .step('Restore in one transaction', () =>
        must(run, applyCommand(files), RESTORE_TIMEOUTS.apply, (r) => new OperatorError(`The restore failed and was rolled back; the data is as it was.\n${lastLines(r.stderr)}`, 'Fix the cause shown, then restore again.')),
      )
      .catch((err: unknown) => (applyError = err));
    // The app comes back whatever happened to the restore.
    await progress.step('Start the app and wait until it is healthy', () =>
      must(run, startAppCommand(request.healthTimeoutSeconds), request.healthTimeoutSeconds + RESTORE_TIMEOUTS.quick, (r) =>
        new OperatorError(
          `${applyError ? 'The restore failed and' : 'The data is restored, but'} the app did not turn healthy again:\n${lastLines(r.stderr)}`,
          'See why with `npm run logs app`; `npm run status` shows the services.',
        ),
      ),
    );
    if (applyError) throw applyError;
    const counts = await progress.step('Count the rows', () => must(run, rowCountsCommand(), RESTORE_TIMEOUTS.quick, (r) => new OperatorError(`The data is restored, but counting rows failed:\n${lastLines(r.stderr)}`, 'Look with `npm run session`.')));
    return { restored, before, rows: parseRowCounts(counts.stdout) };
  } finally {
    await run(removeFilesCommand(files), { timeoutSeconds: RESTORE_TIMEOUTS.quick });
  }
}
