// `npm run unlock`: removes the provision/teardown lock a killed run left behind, after
// saying who holds it and since when.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { describeLock, lockSince, readLock, releaseLock, STALE_MS, unlockCommand } from '../aws/lock.js';
import { OperatorError } from '../core/operator-error.js';
import { formatDuration } from '../core/time.js';

export interface UnlockDeps {
  ssm: SSMClient;
  /** Asks the operator; resolves true to go ahead. Not called with --yes. */
  confirm: (question: string) => Promise<boolean>;
  print: (line: string) => void;
  now: () => number;
}

export type UnlockOutcome = 'no-lock' | 'removed' | 'kept' | 'already-released';

export async function unlockEnvironment({ ssm, confirm, print, now }: UnlockDeps, env: string, region: string, yes: boolean): Promise<UnlockOutcome> {
  const held = await readLock(ssm, env);
  if (!held) {
    print(`Environment "${env}" has no lock in ${region}; nothing to remove.`);
    return 'no-lock';
  }
  const since = lockSince(held);
  const age = Number.isNaN(since) ? 'age unknown' : `${formatDuration(now() - since)} ago`;
  print(`Environment "${env}" is locked by ${describeLock(held)}, ${age}.`);
  if (Number.isNaN(since) || now() - since <= STALE_MS) {
    // A young lock may belong to a run that is still working; two runs at once can leave half-made resources.
    print('That run may still be going: remove its lock only if you know it has ended.');
  }
  if (!yes && !(await confirm('Remove the lock?'))) {
    print('Left the lock in place.');
    return 'kept';
  }
  // The question may have taken a while: delete only the lock that was shown.
  const current = await readLock(ssm, env);
  if (!current) {
    print('The lock was released meanwhile; nothing to remove.');
    return 'already-released';
  }
  if (current.value !== held.value) {
    throw new OperatorError(`The lock changed while you were answering: it is now held by ${describeLock(current)}.`, `Run \`${await unlockCommand(ssm, env)}\` again to see the new holder.`);
  }
  await releaseLock(ssm, env);
  print(`✓ Removed the lock of "${env}"; provision and teardown can run again.`);
  return 'removed';
}
