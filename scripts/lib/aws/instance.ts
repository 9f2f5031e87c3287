// The box itself: AL2023 from the public SSM parameter, the RunInstances request as a pure
// function, the launch retried on exactly the instance-profile propagation error.
import {
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceTerminated,
  type EC2Client,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { defaultSleep } from '../core/clock.js';
import { envNames, TAG, type Tag } from '../core/names.js';
import { awsErrorName, OperatorError } from '../core/operator-error.js';
import { INSTANCE_TYPES, instanceTypeInfo } from '../core/pricing.js';

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
  const out = await ec2.send(
    new DescribeInstanceTypeOfferingsCommand({ LocationType: 'region', Filters: [{ Name: 'instance-type', Values: [instanceType] }] }),
  );
  if ((out.InstanceTypeOfferings ?? []).length === 0) {
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
  userData: string;
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
    UserData: Buffer.from(spec.userData, 'utf8').toString('base64'),
    // IMDSv2 only; hop limit 1 keeps containers away from the instance credentials.
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    BlockDeviceMappings: [
      { DeviceName: spec.ami.rootDeviceName, Ebs: { VolumeSize: spec.volumeGb, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } },
    ],
    // T instances default to "unlimited", which bills surplus credits; others take no credit spec.
    ...(instanceTypeInfo(spec.instanceType).burstable ? { CreditSpecification: { CpuCredits: 'standard' } } : {}),
    InstanceInitiatedShutdownBehavior: 'terminate',
    TagSpecifications: [
      { ResourceType: 'instance', Tags: [...named, { Key: TAG.amiId, Value: spec.ami.id }] },
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
  sleep?: (ms: number) => Promise<void>;
}

/** Launches one instance; the same ClientToken on every retry, so a retry never makes two. */
export async function launchInstance(ec2: EC2Client, spec: LaunchSpec, options: LaunchOptions = {}): Promise<string> {
  const sleep = options.sleep ?? defaultSleep;
  const delayMs = options.delayMs ?? 5000;
  let remaining = options.propagationMs ?? 120_000;
  const input = runInstancesInput(spec);
  for (;;) {
    try {
      const out = await ec2.send(new RunInstancesCommand(input));
      const id = out.Instances?.[0]?.InstanceId;
      if (!id) throw new Error('RunInstances returned no instance');
      return id;
    } catch (err) {
      if (!isProfilePropagationError(err) || remaining <= 0) throw err;
      remaining -= delayMs;
      await sleep(delayMs);
    }
  }
}

export async function terminateInstances(ec2: EC2Client, ids: string[], maxWaitSeconds = 600): Promise<void> {
  if (ids.length === 0) return;
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  await waitUntilInstanceTerminated({ client: ec2, maxWaitTime: maxWaitSeconds, minDelay: 5, maxDelay: 15 }, { InstanceIds: ids });
}
