// The environment's security group: in the default VPC, one inbound rule (the app port
// from the configured CIDR), no SSH. Deleting retries while the instance's ENI detaches.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  paginateDescribeSecurityGroupRules,
  paginateDescribeVpcs,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { awsErrorName, isGone } from '../core/aws-errors.js';
import type { Clock } from '../core/clock.js';
import { envNames, type Tag } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { pollUntil } from '../core/poll.js';

/** The region's default VPC, or undefined when the account deleted it. */
export async function defaultVpcId(ec2: EC2Client): Promise<string | undefined> {
  let id: string | undefined;
  for await (const page of paginateDescribeVpcs({ client: ec2 }, { Filters: [{ Name: 'is-default', Values: ['true'] }] })) id ??= page.Vpcs?.[0]?.VpcId;
  return id;
}

export async function findDefaultVpc(ec2: EC2Client): Promise<string> {
  const id = await defaultVpcId(ec2);
  if (!id) {
    throw new OperatorError('This region has no default VPC.', 'Create one with `aws ec2 create-default-vpc`, or pick another region with --region.');
  }
  return id;
}

export async function createSecurityGroup(ec2: EC2Client, env: string, vpcId: string, tags: Tag[]): Promise<string> {
  const name = envNames(env).securityGroup;
  const out = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: name,
      Description: `pillbox ${env}: the app port only`,
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [...tags, { Key: 'Name', Value: name }] }],
    }),
  );
  if (!out.GroupId) throw new Error('CreateSecurityGroup returned no GroupId');
  return out.GroupId;
}

/** Makes the app port from `cidr` the group's only inbound rule. */
export async function setIngress(ec2: EC2Client, groupId: string, port: number, cidr: string, tags: Tag[]): Promise<void> {
  const rules: SecurityGroupRule[] = [];
  for await (const page of paginateDescribeSecurityGroupRules({ client: ec2 }, { Filters: [{ Name: 'group-id', Values: [groupId] }] })) rules.push(...(page.SecurityGroupRules ?? []));
  const inbound = rules.filter((r) => !r.IsEgress);
  const wanted = inbound.find((r) => r.IpProtocol === 'tcp' && r.FromPort === port && r.ToPort === port && r.CidrIpv4 === cidr);
  const others = inbound.filter((r) => r !== wanted).map((r) => r.SecurityGroupRuleId ?? '');
  if (others.length > 0) await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: others }));
  if (wanted) return;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr, Description: 'pillbox app' }] }],
      TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: tags }],
    }),
  );
}

export interface RetryOptions {
  /** How long to keep retrying while the group is still in use. */
  limitMs?: number;
  delayMs?: number;
}

/** Retries DependencyViolation while a terminated instance's network interface is still detaching. */
export async function deleteSecurityGroup(ec2: EC2Client, groupId: string, clock: Clock, options: RetryOptions = {}): Promise<void> {
  const timeout = () =>
    new OperatorError(`Security group ${groupId} is still in use.`, 'Something else (another instance or ENI) uses it; check the EC2 console, then run teardown again.');
  await pollUntil(clock, { deadline: clock.now() + (options.limitMs ?? 300_000), intervalMs: options.delayMs ?? 10_000, timeout }, async () => {
    try {
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
      return true;
    } catch (err) {
      if (isGone(err)) return true;
      if (awsErrorName(err) === 'DependencyViolation') return undefined;
      throw err;
    }
  });
}
