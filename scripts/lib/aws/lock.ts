// One provision or teardown per environment at a time: an SSM parameter created without
// Overwrite is an atomic test-and-set; the loser reads who holds it.
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { envNames, type Tag } from '../core/names.js';
import { awsErrorName, ignoreGone } from '../core/aws-errors.js';
import { OperatorError } from '../core/operator-error.js';

export interface LockInfo {
  holder: string;
  command: string;
  since: string;
}

/** Older than this, a lock is most likely left by a run that was killed. */
const STALE_MS = 2 * 60 * 60 * 1000;

export async function acquireLock(ssm: SSMClient, env: string, info: LockInfo, tags: Tag[], now: () => number = Date.now): Promise<void> {
  const name = envNames(env).lockParameter;
  try {
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'String', Value: JSON.stringify(info), Description: `pillbox ${env}: run lock`, Tags: tags }));
    return;
  } catch (err) {
    if (awsErrorName(err) !== 'ParameterAlreadyExists') throw err;
  }
  const current = await ssm.send(new GetParameterCommand({ Name: name })).catch(() => undefined);
  let held: Partial<LockInfo> = {};
  try {
    held = JSON.parse(current?.Parameter?.Value ?? '{}') as Partial<LockInfo>;
  } catch {
    held = {};
  }
  const since = held.since ? Date.parse(held.since) : NaN;
  const stale = !Number.isNaN(since) && now() - since > STALE_MS;
  throw new OperatorError(
    `Environment "${env}" is locked by ${held.holder ?? 'another run'} (${held.command ?? 'unknown command'} since ${held.since ?? 'an unknown time'}).`,
    stale
      ? `That lock is over 2 hours old, so its run probably died: remove it with \`aws ssm delete-parameter --name ${name}\` and run again.`
      : `Wait for that run to finish; if it was interrupted, remove the lock with \`aws ssm delete-parameter --name ${name}\`.`,
  );
}

export async function releaseLock(ssm: SSMClient, env: string): Promise<void> {
  await ssm.send(new DeleteParameterCommand({ Name: envNames(env).lockParameter })).catch(ignoreGone);
}

/** Runs fn holding the environment's lock, releasing it however fn ends. */
export async function withLock<T>(ssm: SSMClient, env: string, info: LockInfo, tags: Tag[], fn: () => Promise<T>, now: () => number = Date.now): Promise<T> {
  await acquireLock(ssm, env, info, tags, now);
  try {
    return await fn();
  } finally {
    await releaseLock(ssm, env);
  }
}
