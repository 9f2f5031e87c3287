// What teardown does with the environment's data: a final backup first (while the box can
// still answer), its source archives removed, its backups kept unless asked. Pure.
import type { ObservedEnvironment } from '../aws/environment.js';
import { backupsPrefix, sourcePrefix } from '../aws/bucket-keys.js';
import type { Step } from '../core/step.js';

export interface ObservedData {
  sourceKeys: string[];
  /** Every object under the backups prefix (dumps and manifests). */
  backupKeys: string[];
}

export interface DataOptions {
  /** Back up a running box before it goes (--no-backup turns it off). */
  finalBackup: boolean;
  deleteBackups: boolean;
}

export const DEFAULT_DATA_OPTIONS: DataOptions = { finalBackup: true, deleteBackups: false };

/** Steps before the environment's resources go (the final backup) and after (the bucket). */
export function planDataTeardown(seen: ObservedEnvironment, data: ObservedData, options: DataOptions): { before: Step[]; after: Step[] } {
  const running = seen.instances.find((i) => i.state === 'running');
  // A backup that --delete-backups would remove a moment later is not taken.
  const before: Step[] =
    running && options.finalBackup && !options.deleteBackups ? [{ action: 'create', resource: 'backup', name: running.id, detail: 'a final backup, when the box answers (--no-backup skips)' }] : [];
  const after: Step[] = [];
  if (data.sourceKeys.length > 0) after.push({ action: 'delete', resource: 'source', name: sourcePrefix(seen.env), detail: `${data.sourceKeys.length} archive(s)` });
  if (data.backupKeys.length > 0) {
    after.push(
      options.deleteBackups
        ? { action: 'delete', resource: 'backups', name: backupsPrefix(seen.env), detail: `${data.backupKeys.length} object(s)` }
        : { action: 'keep', resource: 'backups', name: backupsPrefix(seen.env), detail: `${data.backupKeys.length} object(s); --delete-backups removes them` },
    );
  }
  return { before, after };
}
