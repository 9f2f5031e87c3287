// `npm run extend`: moves an environment's expiry in the scheduler (the one-shot that
// terminates the instance, armed again if it is missing), on the box (timer drop-in) and in
// AWS (ExpiresAt tag).

import { CreateTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { EnvInstance } from '../aws/environment.js';
import { moveExpirySchedule } from '../aws/expiry-schedule.js';
import { volumeSizeGb } from '../aws/volume.js';
import { confirmLongLived, PREVIEW_MAX_HOURS, type ConfirmOptions } from '../core/long-lived.js';
import { DEFAULT_VOLUME_GB } from '../provision/config.js';
import { EXPIRE_SERVICE, EXPIRE_TIMER } from '../box/layout.js';
import type { RemoteRunner } from '../box/ssm-output.js';
import type { Clock } from '../core/clock.js';
import { isoSeconds, TAG } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { EXPIRING_STATES, expiryServiceStateCommand, extendExpiry, moveTimerCommand, requireExpiry } from './plan.js';

export interface ExtendDeps {
  ec2: EC2Client;
  scheduler: SchedulerClient;
  /** The environment's expiry schedule role (schedulerRoleArn): a missing schedule is armed with it. */
  schedulerRoleArn: string;
  run: RemoteRunner;
  now: () => Date;
  /** How a long life (beyond the preview's 72 h) is confirmed; without it, one is refused. */
  longLived?: ConfirmOptions;
  clock: Clock;
}

const REFUSE: ConfirmOptions = { yes: false, interactive: false, ask: async () => false };

export interface Extended {
  from: Date;
  to: Date;
  /** What systemd on the box says, e.g. `Mon 2026-11-23 01:30:00 UTC`. */
  timerNext: string;
  /** 'armed': the box had no off-box guard (its arming failed, or it predates schedules); it has one now. */
  schedule: 'moved' | 'armed';
}

/** `npm run extend`: the current expiry plus `hours`, within the cap, moved by moveExpiry. */
export async function extendEnvironment(deps: ExtendDeps, instance: EnvInstance, hours: number, capHours: number): Promise<Extended> {
  const from = requireExpiry(instance.expiresAt, instance.id);
  const now = deps.now();
  const to = extendExpiry({ current: from, now, hours, capHours });
  const lifeHours = Math.ceil((to.getTime() - now.getTime()) / 3_600_000);
  if (lifeHours > PREVIEW_MAX_HOURS) {
    const volumeGiB = (instance.rootVolumeId ? await volumeSizeGb(deps.ec2, instance.rootVolumeId) : undefined) ?? DEFAULT_VOLUME_GB;
    const room = Math.floor((now.getTime() + PREVIEW_MAX_HOURS * 3_600_000 - Math.max(from.getTime(), now.getTime())) / 3_600_000);
    const shorter = room >= 1 ? `--hours ${room} or less` : 'a later extend';
    await confirmLongLived({ env: instance.env, hours: lifeHours, instanceType: instance.instanceType, volumeGiB }, deps.longLived ?? REFUSE, shorter);
  }
  return { from, to, ...(await moveExpiry(deps, instance, to)) };
}

/**
 * Moves an environment's expiry to `to` (provision's --ttl-hours on a running box comes here
 * too). The schedule first (left behind, it would terminate the box early), then the box; if
 * either fails the tag still tells the truth. The new time is absolute, so a rerun after any
 * failure converges.
 */
export async function moveExpiry(
  { ec2, scheduler, run, clock, schedulerRoleArn }: Pick<ExtendDeps, 'ec2' | 'scheduler' | 'run' | 'clock' | 'schedulerRoleArn'>,
  instance: Pick<EnvInstance, 'id' | 'env'>,
  to: Date,
): Promise<Pick<Extended, 'timerNext' | 'schedule'>> {
  // A box already expiring (its last backup, then poweroff) is left to finish: nothing moves.
  const state = (await run(expiryServiceStateCommand(), { timeoutSeconds: 30 })).stdout.trim();
  if (EXPIRING_STATES.has(state)) {
    throw new OperatorError(
      `${instance.id} is expiring now (${EXPIRE_SERVICE} is ${state}: its last backup, then poweroff), so its expiry cannot move.`,
      'Let it finish: its last backup lands in the bucket, and `npm run provision -- --restore latest` brings the environment back from it.',
    );
  }
  const schedule = await moveExpirySchedule(scheduler, { env: instance.env, instanceId: instance.id, expiresAt: to, roleArn: schedulerRoleArn }, clock);
  const result = await run(moveTimerCommand(to), { timeoutSeconds: 60 });
  if (result.exitCode !== 0) {
    throw new OperatorError(
      `Could not move the expiry timer on the box: ${result.stderr.trim().split('\n').at(-1) || `exit ${result.exitCode}`}`,
      `Nothing changed; check the box with \`npm run session\` (\`systemctl status ${EXPIRE_TIMER}\`) and retry.`,
    );
  }
  try {
    await ec2.send(new CreateTagsCommand({ Resources: [instance.id], Tags: [{ Key: TAG.expiresAt, Value: isoSeconds(to) }] }));
  } catch (err) {
    throw new OperatorError(
      `The box now expires at ${isoSeconds(to)}, but updating its ExpiresAt tag failed (${(err as Error).name}).`,
      'Run the same command again: it sets the same time and retries the tag.',
    );
  }
  return { timerNext: result.stdout.trim(), schedule };
}
