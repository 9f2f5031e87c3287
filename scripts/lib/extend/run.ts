// `npm run extend`: moves an environment's expiry on the box (timer drop-in) and in AWS (ExpiresAt tag).

import { CreateTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { EnvInstance } from '../aws/environment.js';
import { EXPIRE_TIMER } from '../box/layout.js';
import type { RemoteRunner } from '../box/ssm-output.js';
import { isoSeconds, TAG } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { extendExpiry, moveTimerCommand, requireExpiry } from './plan.js';

export interface ExtendDeps {
  ec2: EC2Client;
  run: RemoteRunner;
  now: () => Date;
}

export interface Extended {
  from: Date;
  to: Date;
  /** What systemd on the box says, e.g. `Mon 2026-11-23 01:30:00 UTC`. */
  timerNext: string;
}

/** `npm run extend`: the current expiry plus `hours`, within the cap, moved by moveExpiry. */
export async function extendEnvironment(deps: ExtendDeps, instance: EnvInstance, hours: number, capHours: number): Promise<Extended> {
  const from = requireExpiry(instance.expiresAt, instance.id);
  const to = extendExpiry({ current: from, now: deps.now(), hours, capHours });
  return { from, to, timerNext: await moveExpiry(deps, instance.id, to) };
}

/**
 * Moves the box's expiry to `to` (provision's --ttl-hours on a running box comes here too).
 * The box first: if that fails the tag still tells the truth. The new time is absolute,
 * so a rerun after a failed tag write converges. Answers what systemd says next.
 */
export async function moveExpiry({ ec2, run }: Pick<ExtendDeps, 'ec2' | 'run'>, instanceId: string, to: Date): Promise<string> {
  const result = await run(moveTimerCommand(to), { timeoutSeconds: 60 });
  if (result.exitCode !== 0) {
    throw new OperatorError(
      `Could not move the expiry timer on the box: ${result.stderr.trim().split('\n').at(-1) ?? `exit ${result.exitCode}`}`,
      `Nothing changed; check the box with \`npm run session\` (\`systemctl status ${EXPIRE_TIMER}\`) and retry.`,
    );
  }
  try {
    await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: TAG.expiresAt, Value: isoSeconds(to) }] }));
  } catch (err) {
    throw new OperatorError(
      `The box now expires at ${isoSeconds(to)}, but updating its ExpiresAt tag failed (${(err as Error).name}).`,
      'Run the same command again: it sets the same time and retries the tag.',
    );
  }
  return result.stdout.trim();
}
