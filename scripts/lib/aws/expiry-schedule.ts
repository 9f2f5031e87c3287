// The expiry guard outside the box: an EventBridge Scheduler one-shot per instance that
// terminates it after its ExpiresAt (core/expiry-guards.ts: once the box's own timer and last
// backup can have finished) even if the box never booted far enough to arm its own
// timer. One per instance, so a replacement that fails keeps the old box's guard in place.
// It acts through the environment's own role, which may only terminate its instances.
// References: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
// (the universal target and its Input), schedule-types.html (at() one-shots, UTC, 60 s precision),
// setting-up.html (the execution role's trust policy, aws:SourceAccount), and the
// CreateSchedule/UpdateSchedule input of @aws-sdk/client-scheduler.
import type { IAMClient } from '@aws-sdk/client-iam';
import { PutRolePermissionsBoundaryCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  paginateListSchedules,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { awsErrorName, ignoreGone } from '../core/aws-errors.js';
import type { Clock } from '../core/clock.js';
import { offBoxGuardAt } from '../core/expiry-guards.js';
import { isoSeconds, PROJECT, type Tag } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { pollUntil } from '../core/poll.js';
import { boundaryArn, deleteRole, ensureRole } from './iam.js';
import { ownInstances, type PolicyDocument, type PolicyScope } from './instance-policy.js';

export const expiryNames = (env: string) => ({
  /** Every schedule of the environment starts so (`pillbox-dev-expiry-` never matches `pillbox-dev-2-`). */
  schedulePrefix: `${PROJECT}-${env}-expiry-`,
  /** At most 59 characters: schedule names may have 64. */
  schedule: (instanceId: string) => `${PROJECT}-${env}-expiry-${instanceId}`,
  role: `${PROJECT}-${env}-scheduler`,
  policy: `${PROJECT}-${env}-scheduler`,
});

/**
 * Only the scheduler may assume the role, and only for a schedule of this account's default
 * group (confused deputy: setting-up.html; since 2023-09-07 the source ARN is the schedule group's,
 * doc-history.html). The boundary keeps the role to terminating its own environment's instances.
 */
export const schedulerTrustPolicy = ({ accountId, region, partition = 'aws' }: Pick<PolicyScope, 'accountId' | 'region' | 'partition'>): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'scheduler.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': accountId }, ArnEquals: { 'aws:SourceArn': `arn:${partition}:scheduler:${region}:${accountId}:schedule-group/default` } },
    },
  ],
});

export const schedulerPolicy = (scope: PolicyScope): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'TerminateOwnInstances', Effect: 'Allow', Action: 'ec2:TerminateInstances', ...ownInstances(scope) }],
});

export interface ExpiryTarget {
  env: string;
  instanceId: string;
  expiresAt: Date;
  /** The schedule's execution role; its partition is the target's too. */
  roleArn: string;
}

/** How far ahead a schedule re-armed late fires: Scheduler refuses an at() time already past. */
export const LATE_ARM_LEAD_MS = 2 * 60_000;

/**
 * When the one-shot fires: after the box's own guard (offBoxGuardAt), or, for a box whose
 * time has already passed (re-armed late), shortly from now.
 */
export const scheduleTime = (expiresAt: Date, now: number): Date => new Date(Math.max(offBoxGuardAt(expiresAt).getTime(), now + LATE_ARM_LEAD_MS));

/** The whole schedule: UpdateSchedule replaces every field, so create and update send the same. */
export function expirySchedule({ env, instanceId, expiresAt, roleArn }: ExpiryTarget, now = 0): CreateScheduleCommandInput {
  const partition = roleArn.split(':')[1];
  return {
    Name: expiryNames(env).schedule(instanceId),
    Description: `pillbox ${env}: terminate ${instanceId} after its ExpiresAt, once its last backup can have finished`,
    // at(yyyy-mm-ddThh:mm:ss) takes no zone and no fraction; the zone is given apart.
    ScheduleExpression: `at(${isoSeconds(scheduleTime(expiresAt, now)).slice(0, 19)})`,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Target: {
      Arn: `arn:${partition}:scheduler:::aws-sdk:ec2:terminateInstances`,
      RoleArn: roleArn,
      Input: JSON.stringify({ InstanceIds: [instanceId] }),
    },
  };
}

/** A role just created is not yet assumable by the scheduler (IAM is eventually consistent). */
const isRolePropagationError = (err: unknown): boolean => awsErrorName(err) === 'ValidationException' && /assume/i.test((err as Error).message ?? '');

export interface ArmOptions {
  /** How long to keep retrying while the new role propagates. */
  propagationMs?: number;
  delayMs?: number;
}

/** Creates the schedule, or replaces the instance's own (a rerun that found the same launch). */
async function putSchedule(scheduler: SchedulerClient, input: CreateScheduleCommandInput, clock: Clock, options: ArmOptions): Promise<void> {
  const limitMs = options.propagationMs ?? 120_000;
  const timeout = () =>
    new OperatorError(
      `EventBridge Scheduler still cannot assume ${input.Target?.RoleArn} after ${Math.round(limitMs / 1000)} s (IAM changes take a while to arrive).`,
      `Run provision again (or \`npm run extend\`): either re-arms a missing schedule, keeping the box.`,
    );
  await pollUntil(clock, { deadline: clock.now() + limitMs, intervalMs: options.delayMs ?? 5000, timeout }, async () => {
    try {
      await scheduler.send(new CreateScheduleCommand(input));
    } catch (err) {
      if (isRolePropagationError(err)) return undefined;
      if (awsErrorName(err) !== 'ConflictException') throw err;
      await scheduler.send(new UpdateScheduleCommand(input));
    }
    return true;
  });
}

/** The schedule's execution role's ARN, from the deterministic name (it need not exist yet). */
export const schedulerRoleArn = (scope: Pick<PolicyScope, 'env' | 'accountId' | 'partition'>): string =>
  `arn:${scope.partition ?? 'aws'}:iam::${scope.accountId}:role/${expiryNames(scope.env).role}`;

/**
 * The schedule's role (bounded, least privilege), written every time so its policy converges.
 * Provision makes it with the instance's role, before the launch: by the time the schedule
 * is created the scheduler can assume it (IAM is eventually consistent).
 */
export async function ensureSchedulerRole(iam: IAMClient, spec: PolicyScope & { tags: Tag[] }, exists = false): Promise<void> {
  const n = expiryNames(spec.env);
  if (exists) await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: n.role, PermissionsBoundary: boundaryArn(spec) }));
  else await ensureRole(iam, {
    name: n.role,
    trust: schedulerTrustPolicy(spec),
    description: `pillbox ${spec.env} expiry schedule: terminate the environment's instance`,
    tags: spec.tags,
    boundary: boundaryArn(spec),
  });
  await iam.send(new PutRolePolicyCommand({ RoleName: n.role, PolicyName: n.policy, PolicyDocument: JSON.stringify(schedulerPolicy(spec)) }));
}

/** The one-shot for this instance, through the environment's scheduler role (ensureSchedulerRole). */
export async function armExpirySchedule(scheduler: SchedulerClient, target: ExpiryTarget, clock: Clock, options: ArmOptions = {}): Promise<void> {
  await putSchedule(scheduler, expirySchedule(target, clock.now()), clock, options);
}

/**
 * Moves the instance's one-shot to a new time (UpdateSchedule needs the whole definition);
 * 'armed': it had none (its arming failed, or it fired early), so it is created now.
 */
export async function moveExpirySchedule(scheduler: SchedulerClient, target: ExpiryTarget, clock: Clock): Promise<'moved' | 'armed'> {
  const input = expirySchedule(target, clock.now());
  try {
    await scheduler.send(new UpdateScheduleCommand(input));
    return 'moved';
  } catch (err) {
    if (awsErrorName(err) !== 'ResourceNotFoundException') throw err;
  }
  await putSchedule(scheduler, input, clock, {});
  return 'armed';
}

/** Names of the environment's expiry schedules (one per instance that still has one). */
export async function findExpirySchedules(scheduler: SchedulerClient, env: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListSchedules({ client: scheduler }, { NamePrefix: expiryNames(env).schedulePrefix })) {
    for (const schedule of page.Schedules ?? []) if (schedule.Name) names.push(schedule.Name);
  }
  return names;
}

/** When the instance's one-shot fires, or undefined when it has none. */
export async function expiryScheduleTime(scheduler: SchedulerClient, env: string, instanceId: string): Promise<Date | undefined> {
  const found = await scheduler.send(new GetScheduleCommand({ Name: expiryNames(env).schedule(instanceId) })).catch(ignoreGone);
  const at = /^at\((.+)\)$/.exec(found?.ScheduleExpression ?? '')?.[1];
  return at === undefined ? undefined : new Date(`${at}Z`);
}

/**
 * Removes every schedule of the environment (one that fired deleted itself:
 * ActionAfterCompletion DELETE), then their role.
 */
export async function removeExpirySchedules(clients: { iam: IAMClient; scheduler: SchedulerClient }, env: string): Promise<void> {
  const n = expiryNames(env);
  for (const name of await findExpirySchedules(clients.scheduler, env)) {
    await clients.scheduler.send(new DeleteScheduleCommand({ Name: name })).catch(ignoreGone);
  }
  await deleteRole(clients.iam, { name: n.role, arn: '', inlinePolicies: [n.policy] });
}
