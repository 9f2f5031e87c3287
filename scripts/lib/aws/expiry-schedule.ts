// The expiry guard outside the box: an EventBridge Scheduler one-shot per instance that
// terminates it at its ExpiresAt even if the box never booted far enough to arm its own
// timer. One per instance, so a replacement that fails keeps the old box's guard in place.
// It acts through the environment's own role, which may only terminate its instances.
// References: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
// (the universal target and its Input), schedule-types.html (at() one-shots, UTC, 60 s precision),
// setting-up.html (the execution role's trust policy, aws:SourceAccount), and the
// CreateSchedule/UpdateSchedule input of @aws-sdk/client-scheduler.
import type { IAMClient } from '@aws-sdk/client-iam';
import { GetRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  paginateListSchedules,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { awsErrorName, ignoreGone, isGone } from '../core/aws-errors.js';
import type { Clock } from '../core/clock.js';
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
  /** The schedule's execution role. */
  roleArn: string;
  partition?: string;
}

/** The whole schedule: UpdateSchedule replaces every field, so create and update send the same. */
export function expirySchedule({ env, instanceId, expiresAt, roleArn, partition = 'aws' }: ExpiryTarget): CreateScheduleCommandInput {
  return {
    Name: expiryNames(env).schedule(instanceId),
    Description: `pillbox ${env}: terminate ${instanceId} at its ExpiresAt`,
    // at(yyyy-mm-ddThh:mm:ss) takes no zone and no fraction; the zone is given apart.
    ScheduleExpression: `at(${isoSeconds(expiresAt).slice(0, 19)})`,
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
      'Run provision again: it keeps the role and creates the schedule.',
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

export interface ArmSpec extends PolicyScope {
  instanceId: string;
  expiresAt: Date;
  tags: Tag[];
}

/** The schedule's role (bounded, least privilege), then the one-shot for this instance. */
export async function armExpirySchedule(clients: { iam: IAMClient; scheduler: SchedulerClient }, spec: ArmSpec, clock: Clock, options: ArmOptions = {}): Promise<void> {
  const n = expiryNames(spec.env);
  const partition = spec.partition ?? 'aws';
  await ensureRole(clients.iam, {
    name: n.role,
    trust: schedulerTrustPolicy(spec),
    description: `pillbox ${spec.env} expiry schedule: terminate the environment's instance`,
    tags: spec.tags,
    boundary: boundaryArn(spec),
  });
  await clients.iam.send(new PutRolePolicyCommand({ RoleName: n.role, PolicyName: n.policy, PolicyDocument: JSON.stringify(schedulerPolicy(spec)) }));
  const roleArn = `arn:${partition}:iam::${spec.accountId}:role/${n.role}`;
  await putSchedule(clients.scheduler, expirySchedule({ env: spec.env, instanceId: spec.instanceId, expiresAt: spec.expiresAt, roleArn, partition }), clock, options);
}

/**
 * Moves the instance's one-shot to a new time, keeping its role (UpdateSchedule needs the
 * whole definition). 'missing': the instance has no schedule (made before schedules existed).
 */
export async function moveExpirySchedule(scheduler: SchedulerClient, env: string, instanceId: string, to: Date): Promise<'moved' | 'missing'> {
  const name = expiryNames(env).schedule(instanceId);
  const current = await scheduler.send(new GetScheduleCommand({ Name: name })).catch(ignoreGone);
  if (!current) return 'missing';
  const roleArn = current.Target?.RoleArn;
  if (!roleArn) throw new OperatorError(`The expiry schedule ${name} has no target role.`, 'Run `npm run provision -- --replace` to recreate the environment with a fresh schedule, or delete the schedule in the EventBridge console.');
  await scheduler.send(new UpdateScheduleCommand(expirySchedule({ env, instanceId, expiresAt: to, roleArn, partition: roleArn.split(':')[1] })));
  return 'moved';
}

/** The names of the environment's expiry schedules (one per instance it launched, until each fires). */
export async function findExpirySchedules(scheduler: SchedulerClient, env: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListSchedules({ client: scheduler }, { NamePrefix: expiryNames(env).schedulePrefix })) {
    for (const schedule of page.Schedules ?? []) if (schedule.Name) names.push(schedule.Name);
  }
  return names;
}

/** What teardown finds of the expiry machinery: the schedules, and whether their role exists. */
export interface ObservedExpiry {
  schedules: string[];
  role: boolean;
}

export async function observeExpiry(clients: { iam: IAMClient; scheduler: SchedulerClient }, env: string): Promise<ObservedExpiry> {
  const [schedules, role] = await Promise.all([
    findExpirySchedules(clients.scheduler, env),
    clients.iam.send(new GetRoleCommand({ RoleName: expiryNames(env).role })).then(
      () => true,
      (err: unknown) => (isGone(err) ? false : Promise.reject(err)),
    ),
  ]);
  return { schedules, role };
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
