// The box itself: AL2023 from the public SSM parameter, the RunInstances request as a pure
// function, the launch retried on exactly the instance-profile propagation error, and the
// waits for its states, polled on the injected clock.
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  paginateDescribeInstances,
  paginateDescribeInstanceTypeOfferings,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { awsErrorName, ignoreGone, isGone } from '../core/aws-errors.js';
import type { Clock } from '../core/clock.js';
import { envNames, TAG, type Tag } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { pollUntil } from '../core/poll.js';
import { INSTANCE_TYPES, isBurstable } from '../core/pricing.js';

export const AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

export interface Ami {
  id: string;
  rootDeviceName: string;
}

/** The latest AL2023 AMI and its root device (so the volume settings apply to the root). */
export async function resolveAmi(ssm: SSMClient, ec2: EC2Client): Promise<Ami> {
  const param = await ssm.send(new GetParameterCommand({ Name: AMI_PARAMETER }));
  const id = param.Parameter?.Value;
  if (!id) throw new OperatorError(`The public parameter ${AMI_PARAMETER} has no value in this region.`, 'Pick a region where Amazon Linux 2023 is offered (--region).');
  const images = await ec2.send(new DescribeImagesCommand({ ImageIds: [id] }));
  return { id, rootDeviceName: images.Images?.[0]?.RootDeviceName ?? '/dev/xvda' };
}

/** Fails early (before anything is created) when the region does not offer the type. */
export async function assertInstanceTypeOffered(ec2: EC2Client, instanceType: string, region: string): Promise<void> {
  const input = { LocationType: 'region' as const, Filters: [{ Name: 'instance-type', Values: [instanceType] }] };
  let offered = false;
  for await (const page of paginateDescribeInstanceTypeOfferings({ client: ec2 }, input)) offered ||= (page.InstanceTypeOfferings ?? []).length > 0;
  if (!offered) {
    const others = Object.keys(INSTANCE_TYPES).filter((t) => t !== instanceType);
    throw new OperatorError(`${region} does not offer ${instanceType}.`, `Pick another with --instance-type (${others.join(', ')}) or another region.`);
  }
}

export interface LaunchSpec {
  env: string;
  ami: Ami;
  instanceType: string;
  volumeGb: number;
  securityGroupId: string;
  /** The bytes the box receives (gzip-compressed cloud-config, see box/user-data.ts). */
  userData: Buffer;
  /** The optional compose profiles that user-data starts, recorded as a tag so a re-provision can say what runs. */
  profiles: readonly string[];
  tags: Tag[];
  clientToken: string;
}

export function runInstancesInput(spec: LaunchSpec): RunInstancesCommandInput {
  const n = envNames(spec.env);
  const named = [...spec.tags, { Key: TAG.name, Value: n.instance }];
  return {
    ImageId: spec.ami.id,
    InstanceType: spec.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    ClientToken: spec.clientToken,
    IamInstanceProfile: { Name: n.instanceProfile },
    SecurityGroupIds: [spec.securityGroupId],
    UserData: spec.userData.toString('base64'),
    // IMDSv2 only; hop limit 1 keeps containers away from the instance credentials.
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    BlockDeviceMappings: [
      { DeviceName: spec.ami.rootDeviceName, Ebs: { VolumeSize: spec.volumeGb, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } },
    ],
    // Unlimited for the box's whole life: T3 has no launch credits, and standard mode holds
    // a near-empty balance to a 20% baseline that Elasticsearch and Kibana outrun. The TTL
    // bounds the surplus; --plan prints the worst case.
    ...(isBurstable(spec.instanceType) ? { CreditSpecification: { CpuCredits: 'unlimited' } } : {}),
    InstanceInitiatedShutdownBehavior: 'terminate',
    TagSpecifications: [
      {
        ResourceType: 'instance',
        Tags: [...named, { Key: TAG.amiId, Value: spec.ami.id }, { Key: TAG.stackProfiles, Value: spec.profiles.join(',') }],
      },
      { ResourceType: 'volume', Tags: named },
      { ResourceType: 'network-interface', Tags: named },
    ],
  };
}

/** A just-created instance profile is not yet visible to EC2 (IAM is eventually consistent). */
export const isProfilePropagationError = (err: unknown): boolean =>
  awsErrorName(err) === 'InvalidParameterValue' && /Invalid IAM Instance Profile/i.test((err as Error).message ?? '');

export interface LaunchOptions {
  /** How long to keep retrying the propagation error. */
  propagationMs?: number;
  delayMs?: number;
}

/** Launches one instance; the same ClientToken on every retry, so a retry never makes two. */
export async function launchInstance(ec2: EC2Client, spec: LaunchSpec, clock: Clock, options: LaunchOptions = {}): Promise<string> {
  const input = runInstancesInput(spec);
  const limitMs = options.propagationMs ?? 120_000;
  const profile = envNames(spec.env).instanceProfile;
  const timeout = () =>
    new OperatorError(
      `EC2 still does not see the instance profile ${profile} after ${Math.round(limitMs / 1000)} s (IAM changes take a while to reach EC2).`,
      'Run provision again: it keeps the profile and launches with it.',
    );
  return pollUntil(clock, { deadline: clock.now() + limitMs, intervalMs: options.delayMs ?? 5000, timeout }, async () => {
    try {
      const out = await ec2.send(new RunInstancesCommand(input));
      const id = out.Instances?.[0]?.InstanceId;
      if (!id) throw new Error('RunInstances returned no instance');
      return id;
    } catch (err) {
      if (isProfilePropagationError(err)) return undefined;
      throw err;
    }
  });
}

/**
 * The instance a RunInstances call with this ClientToken launched, if any: the call may have
 * succeeded with its answer lost, and undoing the run must not pull the role from under it.
 * EC2 keeps a token's launch for its idempotency window (the client-token filter of
 * DescribeInstances; "Ensuring idempotency" in the EC2 API guide), but DescribeInstances is
 * eventually consistent, so "none" is only believed after looking for `limitMs`. A lookup
 * that fails throws: the caller must then not assume there is no box.
 */
export async function findByClientToken(ec2: EC2Client, clientToken: string, clock: Clock, limitMs = TOKEN_LOOKUP_MS): Promise<string | undefined> {
  const filters = [
    { Name: 'client-token', Values: [clientToken] },
    { Name: 'instance-state-name', Values: ['pending', 'running'] },
  ];
  const none = new Error('none');
  const lookup = async () => {
    for await (const page of paginateDescribeInstances({ client: ec2 }, { Filters: filters })) {
      const id = page.Reservations?.flatMap((r) => r.Instances ?? [])[0]?.InstanceId;
      if (id) return id;
    }
    return undefined;
  };
  return pollUntil(clock, { deadline: clock.now() + limitMs, intervalMs: 5000, timeout: () => none }, lookup).catch((err: unknown) => {
    if (err === none) return undefined;
    throw err;
  });
}

/** How long a launch whose outcome is unknown is looked for before "none" is believed. */
export const TOKEN_LOOKUP_MS = 60_000;

/** The instances with these ids, as EC2 describes them now (ids it does not know are left out). */
export async function describeInstances(ec2: EC2Client, ids: string[]): Promise<Instance[]> {
  const found: Instance[] = [];
  try {
    for await (const page of paginateDescribeInstances({ client: ec2 }, { InstanceIds: ids })) {
      for (const r of page.Reservations ?? []) found.push(...(r.Instances ?? []));
    }
  } catch (err) {
    // A new instance is briefly unknown to DescribeInstances (eventual consistency).
    if (!isGone(err)) throw err;
  }
  return found;
}

export interface WaitLimit {
  clock: Clock;
  limitMs: number;
  /** Called with a short state line on each poll, e.g. `pending`. */
  report?: (detail: string) => void;
  signal?: AbortSignal;
}

/** States from which an instance never comes back to running. */
const ENDED = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/** Polls until the instance is running; fails at once if it ends instead (capacity, a bad AMI). */
export async function waitInstanceRunning(ec2: EC2Client, instanceId: string, { clock, limitMs, report, signal }: WaitLimit): Promise<Instance> {
  let last = 'not visible yet';
  return pollUntil(
    clock,
    {
      deadline: clock.now() + limitMs,
      intervalMs: 5000,
      signal,
      timeout: () =>
        new OperatorError(
          `Instance ${instanceId} did not reach "running" within ${Math.round(limitMs / 60_000)} min (last seen: ${last}).`,
          'Check its state and "Status checks" in the EC2 console; `npm run teardown` removes it.',
        ),
    },
    async () => {
      const [instance] = await describeInstances(ec2, [instanceId]);
      const state = instance?.State?.Name;
      if (!instance || !state) return undefined;
      last = state;
      report?.(state);
      if (state === 'running') return instance;
      if (ENDED.has(state)) {
        throw new OperatorError(
          `Instance ${instanceId} went to "${state}" instead of running: ${instance.StateReason?.Message ?? 'no reason given'}.`,
          'If the reason is capacity, try again later or another --instance-type; `npm run teardown` removes what is left.',
        );
      }
      return undefined;
    },
  );
}

/** Asks EC2 to terminate the instances, without waiting; ones already gone are fine. */
export async function requestTermination(ec2: EC2Client, ids: string[]): Promise<void> {
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids })).catch(ignoreGone);
}

/**
 * Terminates the instances and waits until EC2 reports each terminated. They were just
 * seen, so InvalidInstanceID.NotFound here means EC2's API has not caught up with a launch
 * seconds old: ask again rather than take it as done.
 */
export async function terminateInstances(ec2: EC2Client, ids: string[], { clock, limitMs, report }: WaitLimit): Promise<void> {
  if (ids.length === 0) return;
  let requested = false;
  const timeout = () => new OperatorError(`${ids.join(', ')} did not terminate within ${Math.round(limitMs / 60_000)} min.`, 'Check the instances in the EC2 console, then run teardown again.');
  await pollUntil(clock, { deadline: clock.now() + limitMs, intervalMs: 5000, timeout }, async () => {
    if (!requested) {
      try {
        await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
      } catch (err) {
        if (awsErrorName(err) === 'InvalidInstanceID.NotFound') return undefined;
        throw err;
      }
      requested = true;
    }
    const left = (await describeInstances(ec2, ids)).filter((i) => i.State?.Name !== 'terminated');
    if (left.length === 0) return true;
    report?.(left.map((i) => `${i.InstanceId} ${i.State?.Name ?? '?'}`).join(', '));
    return undefined;
  });
}

/** The commit the box serves, on its GitSha tag, so `npm run status` shows it. */
export async function tagDeployedCommit(ec2: EC2Client, instanceId: string, sha: string): Promise<void> {
  await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: TAG.gitSha, Value: sha }] }));
}
