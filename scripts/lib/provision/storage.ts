// Provision's work in the project bucket and on the environment's data: what exists, the
// backup of a box before --replace terminates it, and the restore that seeds a new box.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { listBackups, resolveBackup } from '../aws/backup-catalog.js';
import { observeBucket, type Storage } from '../aws/bucket.js';
import { sourceUploaded, type ShippedSource } from '../aws/source-object.js';
import { boxAnswers, takeBackup } from '../backup/run.js';
import { ssmRunner } from '../box/ssm-output.js';
import type { Progress } from '../core/progress.js';
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

/** Backs up the box --replace is about to terminate; a box that does not answer has nothing to save. */
export async function backupBeforeReplace(ssm: SSMClient, instanceId: string, progress: Pick<Progress, 'note'>): Promise<string | undefined> {
  if (!(await boxAnswers(ssm, instanceId))) {
    progress.note(`${instanceId} does not answer through SSM, so it is replaced without a backup.`);
    return undefined;
  }
  return (await takeBackup(ssmRunner(ssm, instanceId), 'pre-replace')).key;
}
