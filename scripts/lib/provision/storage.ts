// What provision finds in the project bucket, and the check that --restore names a whole
// backup before anything changes.
import { listBackups, resolveBackup } from '../aws/backup-catalog.js';
import { observeBucket, type Storage } from '../aws/bucket.js';
import { sourceUploaded, type ShippedSource } from '../aws/source-object.js';
import type { Step } from '../core/step.js';
import type { ObservedStorage } from './storage-plan.js';

export async function observeStorage(storage: Storage, env: string, source: ShippedSource): Promise<ObservedStorage> {
  const bucket = await observeBucket(storage);
  if (bucket === 'missing') return { bucket, sourceUploaded: false };
  const [uploaded, backups] = await Promise.all([sourceUploaded(storage, source), listBackups(storage, env)]);
  return { bucket, sourceUploaded: uploaded, latestDumpBytes: backups.find((b) => b.complete)?.bytes };
}

/**
 * Checks before anything changes that --restore names a backup that exists and is whole.
 * `latest` with a backup step is resolved later: that backup becomes the latest.
 */
export async function checkRestoreSource(storage: Storage, env: string, from: string | undefined, steps: readonly Step[]): Promise<void> {
  if (!from || (from === 'latest' && steps.some((s) => s.resource === 'backup'))) return;
  await resolveBackup(storage, env, from);
}
