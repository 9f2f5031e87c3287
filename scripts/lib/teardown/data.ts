// Teardown's work on the environment's data in the project bucket.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { backupsPrefix, sourcePrefix } from '../aws/bucket-keys.js';
import { deleteObjects, listObjects } from '../aws/bucket-objects.js';
import type { Storage } from '../aws/bucket.js';
import { boxAnswers, takeBackup } from '../backup/run.js';
import { ssmRunner } from '../box/ssm-output.js';
import { OperatorError } from '../core/operator-error.js';
import type { Progress } from '../core/progress.js';
import type { Step } from '../core/step.js';
import type { ObservedData } from './data-plan.js';

export async function observeData(storage: Storage, env: string): Promise<ObservedData> {
  const [sources, backups] = await Promise.all([listObjects(storage, sourcePrefix(env)), listObjects(storage, backupsPrefix(env))]);
  return { sourceKeys: sources.map((o) => o.key), backupKeys: backups.map((o) => o.key) };
}

/** The final backup; a box that does not answer is noted and skipped, a failed backup stops the teardown. */
export async function finalBackup(ssm: SSMClient, instanceId: string, progress: Pick<Progress, 'step' | 'note'>): Promise<string | undefined> {
  if (!(await boxAnswers(ssm, instanceId))) {
    progress.note(`${instanceId} does not answer through SSM: no final backup.`);
    return undefined;
  }
  try {
    return (await progress.step(`final backup of ${instanceId}`, () => takeBackup(ssmRunner(ssm, instanceId), 'teardown'))).key;
  } catch (err) {
    if (!(err instanceof OperatorError)) throw err;
    throw new OperatorError(`${err.message}\nNothing was removed.`, `${err.hint} To tear down without a final backup, pass --no-backup.`);
  }
}

/** Removes what the bucket steps of the plan name; keeps the rest. */
export async function removeData(storage: Storage, steps: readonly Step[], data: ObservedData, progress: Pick<Progress, 'step'>): Promise<void> {
  for (const step of steps) {
    if (step.action !== 'delete') continue;
    const keys = step.resource === 'source' ? data.sourceKeys : data.backupKeys;
    await progress.step(`delete ${keys.length} object(s) under ${step.name}`, () => deleteObjects(storage, keys));
  }
}
