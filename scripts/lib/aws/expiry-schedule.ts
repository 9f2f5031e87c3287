// The expiry guard outside the box: an EventBridge Scheduler one-shot that terminates the
// instance at its ExpiresAt even if the box never booted far enough to arm its own timer.
// It acts through its own role, which may only terminate this environment's instances.
// References: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
// (the universal target and its Input), schedule-types.html (at() one-shots, UTC, 60 s precision),
// setting-up.html (the execution role's trust policy, aws:SourceAccount), and the
// CreateSchedule/UpdateSchedule input of @aws-sdk/client-scheduler.
import type { IAMClient } from '@aws-sdk/client-iam';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { defaultSleep } from '../core/clock.js';
import { isoSeconds, PROJECT, type Tag } from '../core/names.js';
import { awsErrorName, OperatorError } from '../core/operator-error.js';
import { boundaryArn, deleteRole, ensureRole } from './iam.js';
import { ownInstances, type PolicyDocument, type PolicyScope } from './instance-policy.js';

export const expiryNames = (env: string) => ({
  schedule: `${PROJECT}-${env}-expiry`,
  role: `${PROJECT}-${env}-scheduler`,
  policy: `${PROJECT}-${env}-scheduler`,
});

/** Only the scheduler may assume the role, and only on behalf of this account (confused deputy). */
export const schedulerTrustPolicy = (accountId: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'scheduler.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
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
    Name: expiryNames(env).schedule,
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
  sleep?: (ms: number) => Promise<void>;
}

/** Creates the schedule, or replaces the one the environment already has (a re-launch). */
async function putSchedule(scheduler: SchedulerClient, input: CreateScheduleCommandInput, options: ArmOptions): Promise<void> {
  const sleep = options.sleep ?? defaultSleep;
  const delayMs = options.delayMs ?? 5000;
  let remaining = options.propagationMs ?? 120_000;
  for (;;) {
    try {
      await scheduler.send(new CreateScheduleCommand(input));
      return;
    } catch (err) {
      if (awsErrorName(err) === 'ConflictException') {
        await scheduler.send(new UpdateScheduleCommand(input));
        return;
      }
      if (!isRolePropagationError(err) || remaining <= 0) throw err;
      remaining -= delayMs;
      await sleep(delayMs);
    }
  }
}

export interface ArmSpec extends PolicyScope {
  instanceId: string;
  expiresAt: Date;
  tags: Tag[];
}

/** The schedule's role (bounded, least privilege), then the one-shot for this instance. */
export async function armExpirySchedule(clients: { iam: IAMClient; scheduler: SchedulerClient }, spec: ArmSpec, options: ArmOptions = {}): Promise<void> {
  const n = expiryNames(spec.env);
  const partition = spec.partition ?? 'aws';
  await ensureRole(clients.iam, {
    name: n.role,
    trust: schedulerTrustPolicy(spec.accountId),
    description: `pillbox ${spec.env} expiry schedule: terminate the environment's instance`,
    tags: spec.tags,
    boundary: boundaryArn(spec),
  });
  await clients.iam.send(new PutRolePolicyCommand({ RoleName: n.role, PolicyName: n.policy, PolicyDocument: JSON.stringify(schedulerPolicy(spec)) }));
  const roleArn = `arn:${partition}:iam::${spec.accountId}:role/${n.role}`;
  await putSchedule(clients.scheduler, expirySchedule({ env: spec.env, instanceId: spec.instanceId, expiresAt: spec.expiresAt, roleArn, partition }), options);
}

/**
 * Moves the one-shot to a new time, keeping its instance and role (UpdateSchedule needs the
 * whole definition). 'missing': the environment has no schedule (made before it existed).
 */
export async function moveExpirySchedule(scheduler: SchedulerClient, env: string, instanceId: string, to: Date): Promise<'moved' | 'missing'> {
  const name = expiryNames(env).schedule;
  const current = await scheduler.send(new GetScheduleCommand({ Name: name })).catch((err: unknown) => {
    if (awsErrorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  });
  if (!current) return 'missing';
  const roleArn = current.Target?.RoleArn;
  if (!roleArn) throw new OperatorError(`The expiry schedule ${name} has no target role.`, 'Run `npm run provision -- --replace` to recreate the environment with a fresh schedule, or delete the schedule in the EventBridge console.');
  await scheduler.send(new UpdateScheduleCommand(expirySchedule({ env, instanceId, expiresAt: to, roleArn, partition: roleArn.split(':')[1] })));
  return 'moved';
}

/** Removes the schedule (gone already once it fired: ActionAfterCompletion DELETE) and its role. */
export async function removeExpirySchedule(clients: { iam: IAMClient; scheduler: SchedulerClient }, env: string): Promise<void> {
  const n = expiryNames(env);
  await clients.scheduler.send(new DeleteScheduleCommand({ Name: n.schedule })).catch((err: unknown) => {
    if (awsErrorName(err) !== 'ResourceNotFoundException') throw err;
  });
  await deleteRole(clients.iam, { name: n.role, arn: '', inlinePolicies: [n.policy] });
}
