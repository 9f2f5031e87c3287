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
export const STALE_MS = 2 * 60 * 60 * 1000;

/** The lock as found: the parameter's raw value (to see whether it changed) and what it says. */
export interface HeldLock {
  name: string;
  value: string;
  info: Partial<LockInfo>;
}

/** The environment's lock, or undefined when nobody holds it. */
export async function readLock(ssm: SSMClient, env: string): Promise<HeldLock | undefined> {
  const name = envNames(env).lockParameter;
  let value: string;
  try {
    value = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value ?? '';
  } catch (err) {
    if (awsErrorName(err) === 'ParameterNotFound') return undefined;
    throw err;
  }
  let info: Partial<LockInfo> = {};
  try {
    info = JSON.parse(value) as Partial<LockInfo>;
  } catch {
    info = {};
  }
  return { name, value, info };
}

/** Epoch milliseconds the lock was taken at, or NaN when it does not say. */
export const lockSince = (held: HeldLock): number => (held.info.since ? Date.parse(held.info.since) : NaN);

/** `bob@ci (provision since 2026-11-21T09:59:00Z)`: who holds the lock, for one-line messages. */
export const describeLock = ({ info }: HeldLock): string =>
  `${info.holder ?? 'another run'} (${info.command ?? 'unknown command'} since ${info.since ?? 'an unknown time'})`;

/** The command that clears the lock, with the region the client talks to (a printed command must work as is). */
export const unlockCommand = async (ssm: SSMClient, env: string): Promise<string> => `npm run unlock -- --env ${env} --region ${await ssm.config.region()}`;

export async function acquireLock(ssm: SSMClient, env: string, info: LockInfo, tags: Tag[], now: () => number = Date.now): Promise<void> {
  const name = envNames(env).lockParameter;
  try {
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'String', Value: JSON.stringify(info), Description: `pillbox ${env}: run lock`, Tags: tags }));
    return;
  } catch (err) {
    if (awsErrorName(err) !== 'ParameterAlreadyExists') throw err;
  }
  // Released between our write and this read: report it anyway, the rerun will take it.
  const held = (await readLock(ssm, env).catch(() => undefined)) ?? { name, value: '', info: {} };
  const since = lockSince(held);
  const stale = !Number.isNaN(since) && now() - since > STALE_MS;
  const unlock = await unlockCommand(ssm, env);
  throw new OperatorError(
    `Environment "${env}" is locked by ${describeLock(held)}.`,
    stale
      ? `That lock is over 2 hours old, so its run probably died: remove it with \`${unlock}\` and run again.`
      : `Wait for that run to finish; if it was interrupted, remove the lock with \`${unlock}\`.`,
  );
}

export async function releaseLock(ssm: SSMClient, env: string): Promise<void> {
  await ssm.send(new DeleteParameterCommand({ Name: envNames(env).lockParameter })).catch(ignoreGone);
}

/**
 * Runs fn holding the environment's lock, releasing it however fn ends, and, when given
 * onForcedExit (core/interrupt.ts), also when a second signal ends the process mid-way.
 */
export async function withLock<T>(
  ssm: SSMClient,
  env: string,
  info: LockInfo,
  tags: Tag[],
  fn: () => Promise<T>,
  now: () => number = Date.now,
  onForcedExit?: (work: () => Promise<unknown>) => () => void,
): Promise<T> {
  await acquireLock(ssm, env, info, tags, now);
  const unregister = onForcedExit?.(() => releaseLock(ssm, env));
  try {
    return await fn();
  } finally {
    unregister?.();
    await releaseLock(ssm, env);
  }
}
