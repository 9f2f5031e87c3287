// Teardown's work on the environment's data in the project bucket.
import { backupsPrefix, sourcePrefix } from '../aws/bucket-keys.js';
import { deleteObjects, listObjects } from '../aws/bucket-objects.js';
import type { Storage } from '../aws/bucket.js';
import type { Progress } from '../core/progress.js';
import type { Step } from '../core/step.js';
import type { ObservedData } from './data-plan.js';

export async function observeData(storage: Storage, env: string): Promise<ObservedData> {
  const [sources, backups] = await Promise.all([listObjects(storage, sourcePrefix(env)), listObjects(storage, backupsPrefix(env))]);
  return { sourceKeys: sources.map((o) => o.key), backupKeys: backups.map((o) => o.key) };
}

/** Removes what the bucket steps of the plan name; keeps the rest. */
export async function removeData(storage: Storage, steps: readonly Step[], data: ObservedData, progress: Pick<Progress, 'step'>): Promise<void> {
  for (const step of steps) {
    if (step.action !== 'delete') continue;
    const keys = step.resource === 'source' ? data.sourceKeys : data.backupKeys;
    await progress.step(`delete ${keys.length} object(s) under ${step.name}`, () => deleteObjects(storage, keys));
  }
}
