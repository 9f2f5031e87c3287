// The environment's security group: in the default VPC, inbound only to the edge (HTTP and
// HTTPS) from the configured CIDR, no SSH. Deleting retries while the instance's ENI detaches.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeVpcsCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { defaultSleep } from '../core/clock.js';
import { envNames, type Tag } from '../core/names.js';
import { awsErrorName, OperatorError } from '../core/operator-error.js';

/** What the world may reach: Caddy's HTTP (ACME http-01, then redirects) and HTTPS (no HTTP/3, so TCP only). */
export const EDGE_PORTS: readonly number[] = [80, 443];

export async function findDefaultVpc(ec2: EC2Client): Promise<string> {
  const out = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  const id = out.Vpcs?.[0]?.VpcId;
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
  const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }));
  const inbound = (rules.SecurityGroupRules ?? []).filter((r) => !r.IsEgress);
  const isWanted = (r: (typeof inbound)[number]) => r.IpProtocol === 'tcp' && r.FromPort === r.ToPort && ports.includes(r.FromPort ?? -1) && r.CidrIpv4 === cidr;
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
  attempts?: number;
  delayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** DependencyViolation while a terminated instance's network interface is still detaching. */
export async function deleteSecurityGroup(ec2: EC2Client, groupId: string, options: RetryOptions = {}): Promise<void> {
  const attempts = options.attempts ?? 30;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
      return;
    } catch (err) {
      const name = awsErrorName(err);
      if (name === 'InvalidGroup.NotFound') return;
      if (name !== 'DependencyViolation') throw err;
      if (attempt >= attempts) {
        throw new OperatorError(`Security group ${groupId} is still in use.`, 'Something else (another instance or ENI) uses it; check the EC2 console, then run teardown again.');
      }
      await sleep(options.delayMs ?? 10_000);
    }
  }
}
