// The environment's security group: in the default VPC, inbound only to the edge, no SSH: HTTP
// from everyone (ACME's http-01 challenge comes from addresses Let's Encrypt does not publish,
// at every renewal), HTTPS from the allowed range. IPv4 only: the box publishes its ports on
// 0.0.0.0 and the allowed range is an IPv4 CIDR. Deleting retries while the ENI detaches.
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

/** One inbound rule: a TCP port and the one range it is open to. */
export interface IngressRule {
  port: number;
  cidr: string;
}

/** Everyone, for the ACME challenge: Caddy answers it on 80 and otherwise only redirects (compose/caddy/Caddyfile). */
export const ANYWHERE = '0.0.0.0/0';

/** What the world may reach: Caddy's HTTP from everyone, its HTTPS (no HTTP/3, so TCP only) from the allowed range. */
export const edgeIngress = (allowedCidr: string): IngressRule[] => [
  { port: 80, cidr: ANYWHERE },
  { port: 443, cidr: allowedCidr },
];

/** HTTPS carries the app: its range is the environment's allowed range. */
export const HTTPS_PORT = 443;

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

const matches = (r: SecurityGroupRule, want: IngressRule): boolean => r.IpProtocol === 'tcp' && r.FromPort === want.port && r.ToPort === want.port && r.CidrIpv4 === want.cidr;

/** Makes `wanted` the group's only inbound rules: revokes every other one (an older group's too), adds what is missing. */
export async function setIngress(ec2: EC2Client, groupId: string, wanted: readonly IngressRule[], tags: Tag[]): Promise<void> {
  const rules: SecurityGroupRule[] = [];
  for await (const page of paginateDescribeSecurityGroupRules({ client: ec2 }, { Filters: [{ Name: 'group-id', Values: [groupId] }] })) rules.push(...(page.SecurityGroupRules ?? []));
  const inbound = rules.filter((r) => !r.IsEgress);
  const others = inbound.filter((r) => !wanted.some((w) => matches(r, w))).map((r) => r.SecurityGroupRuleId ?? '');
  if (others.length > 0) await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: others }));
  const missing = wanted.filter((w) => !inbound.some((r) => matches(r, w)));
  if (missing.length === 0) return;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: missing.map((w) => ({ IpProtocol: 'tcp', FromPort: w.port, ToPort: w.port, IpRanges: [{ CidrIp: w.cidr, Description: w.cidr === ANYWHERE ? 'pillbox edge: ACME challenge and redirect' : 'pillbox edge' }] })),
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
