// The environment's security group: in the default VPC, inbound only to the edge (HTTP and
// HTTPS) from the configured CIDR, no SSH. Deleting retries while the instance's ENI detaches.
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

/** What the world may reach: Caddy's HTTP (ACME http-01, then redirects) and HTTPS (no HTTP/3, so TCP only). */
export const EDGE_PORTS: readonly number[] = [80, 443];

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
      Description: `pillbox ${env}: HTTP and HTTPS only`,
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [...tags, { Key: 'Name', Value: name }] }],
    }),
  );
  if (!out.GroupId) throw new Error('CreateSecurityGroup returned no GroupId');
  return out.GroupId;
}

/** Makes the ports from `cidr` the group's only inbound rules. */
export async function setIngress(ec2: EC2Client, groupId: string, ports: readonly number[], cidr: string, tags: Tag[]): Promise<void> {
  const rules: SecurityGroupRule[] = [];
  for await (const page of paginateDescribeSecurityGroupRules({ client: ec2 }, { Filters: [{ Name: 'group-id', Values: [groupId] }] })) rules.push(...(page.SecurityGroupRules ?? []));
  const inbound = rules.filter((r) => !r.IsEgress);
  const isWanted = (r: SecurityGroupRule) => r.IpProtocol === 'tcp' && r.FromPort === r.ToPort && ports.includes(r.FromPort ?? -1) && r.CidrIpv4 === cidr;
  const others = inbound.filter((r) => !isWanted(r)).map((r) => r.SecurityGroupRuleId ?? '');
  if (others.length > 0) await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: others }));
  const missing = ports.filter((port) => !inbound.some((r) => isWanted(r) && r.FromPort === port));
  if (missing.length === 0) return;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: missing.map((port) => ({ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr, Description: 'pillbox edge' }] })),
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
