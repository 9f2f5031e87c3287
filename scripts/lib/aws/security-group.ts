// The environment's security group: in the default VPC, one inbound rule (the app port
// from the configured CIDR), no SSH. Deleting retries while the instance's ENI detaches.
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
  const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }));
  const inbound = (rules.SecurityGroupRules ?? []).filter((r) => !r.IsEgress);
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
