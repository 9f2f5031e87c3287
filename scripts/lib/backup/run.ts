// Takes a backup on the box and reads back the manifest the box wrote.
import { paginateDescribeInstanceInformation, type SSMClient } from '@aws-sdk/client-ssm';
import { parseManifest, type Manifest } from '../aws/backup-catalog.js';
import { BACKUP_SERVICE, STACK_UNIT } from '../box/layout.js';
import { ssmRunner, type RemoteRunner } from '../box/ssm-output.js';
import type { Clock } from '../core/clock.js';
import { OperatorError } from '../core/operator-error.js';
import type { Progress } from '../core/progress.js';
import { BACKUP_TIMEOUT_SECONDS, backupCommand, type BackupReason } from './plan.js';

const lastLines = (text: string, n = 10): string => text.trim().split('\n').slice(-n).join('\n');

/** Runs the backup script; its last line of output is the manifest. */
export async function takeBackup(run: RemoteRunner, reason: BackupReason): Promise<Manifest> {
  const result = await run(backupCommand(reason), { timeoutSeconds: BACKUP_TIMEOUT_SECONDS });
  if (result.exitCode === 127) {
    throw new OperatorError('This box has no backup script: it was provisioned before backups existed.', 'Recreate it with `npm run provision -- --replace` (pass --no-backup to teardown or provision if you must go on without one).');
  }
  if (result.exitCode !== 0) {
    throw new OperatorError(
      `The backup failed on the box (exit ${result.exitCode}):\n${lastLines(result.stderr || result.stdout) || '(no output)'}`,
      `Check the stack with \`npm run status\` (the postgres service must be up) and \`journalctl -u ${STACK_UNIT}\` in \`npm run session\`.`,
    );
  }
  return parseManifest(
    result.stdout.trim().split('\n').at(-1) ?? '',
    'printed by the box',
    `The backup may not have finished: \`npm run backups\` lists what reached the bucket; in \`npm run session\`, \`journalctl -u ${BACKUP_SERVICE}\` shows the backup's log.`,
  );
}

/** True when the box's SSM agent is online, so commands can reach it (the answer may come on any page). */
export async function boxAnswers(ssm: SSMClient, instanceId: string): Promise<boolean> {
  for await (const page of paginateDescribeInstanceInformation({ client: ssm }, { Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] })) {
    if (page.InstanceInformationList?.some((i) => i.InstanceId === instanceId && i.PingStatus === 'Online')) return true;
  }
  return false;
}

/**
 * The backup before a change that loses the box's data (--replace, teardown): a box that
 * does not answer has nothing to save and is noted; a failed backup stops the change.
 */
export async function backupBeforeChange(ssm: SSMClient, instanceId: string, reason: BackupReason, progress: Pick<Progress, 'step' | 'note'>, clock: Clock): Promise<string | undefined> {
  if (!(await boxAnswers(ssm, instanceId))) {
    progress.note(`${instanceId} does not answer through SSM, so it goes without a backup.`);
    return undefined;
  }
  try {
    return (await progress.step(`back up ${instanceId} (${reason})`, () => takeBackup(ssmRunner(ssm, instanceId, { clock }), reason))).key;
  } catch (err) {
    if (!(err instanceof OperatorError)) throw err;
    throw new OperatorError(`${err.message}\nNothing was changed.`, `${err.hint} To go on without a backup, pass --no-backup.`);
  }
}
