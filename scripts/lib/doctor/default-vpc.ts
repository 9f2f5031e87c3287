// provision puts the security group in the default VPC and launches without a subnet, so
// EC2 picks one of the default subnets; the box needs the public IPv4 that subnet assigns
// to reach SSM, the image registries and Let's Encrypt (there is no NAT).
import { DescribeVpcsCommand, paginateDescribeSubnets, type EC2Client, type Subnet } from '@aws-sdk/client-ec2';
import { CHECK, fail, ok, warn, type CheckResult } from './check.js';

async function defaultSubnets(ec2: EC2Client, vpcId: string): Promise<Subnet[]> {
  const subnets: Subnet[] = [];
  const filters = [
    { Name: 'vpc-id', Values: [vpcId] },
    { Name: 'default-for-az', Values: ['true'] },
  ];
  for await (const page of paginateDescribeSubnets({ client: ec2 }, { Filters: filters })) subnets.push(...(page.Subnets ?? []));
  return subnets.sort((a, b) => (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? ''));
}

export async function checkDefaultVpc(ec2: EC2Client, region: string): Promise<CheckResult> {
  const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  const vpcId = vpcs.Vpcs?.[0]?.VpcId;
  if (!vpcId) return fail(CHECK.defaultVpc, `${region} has no default VPC`, `Create one: aws ec2 create-default-vpc --region ${region}`);

  const subnets = await defaultSubnets(ec2, vpcId);
  if (subnets.length === 0) {
    return fail(CHECK.defaultVpc, `${vpcId} has no default subnet`, `Create one per zone: aws ec2 create-default-subnet --availability-zone ${region}a --region ${region}`);
  }
  const zones = subnets.map((s) => s.AvailabilityZone ?? '?');
  const data = { vpcId, subnets: subnets.map((s) => ({ id: s.SubnetId, zone: s.AvailabilityZone, publicIp: s.MapPublicIpOnLaunch === true })) };
  const noPublicIp = subnets.filter((s) => s.MapPublicIpOnLaunch !== true);
  if (noPublicIp.length > 0) {
    const named = noPublicIp.map((s) => `${s.SubnetId} (${s.AvailabilityZone})`).join(', ');
    const detail = `${vpcId}: ${named} assign${noPublicIp.length === 1 ? 's' : ''} no public IPv4, so a box launched there never reaches SSM`;
    const fix = `Turn it on: aws ec2 modify-subnet-attribute --map-public-ip-on-launch --subnet-id ${noPublicIp[0]?.SubnetId} --region ${region}${noPublicIp.length > 1 ? ' (and for the others)' : ''}`;
    // Some such subnets: EC2 may or may not pick one. All of them: every launch is cut off.
    return noPublicIp.length === subnets.length ? fail(CHECK.defaultVpc, detail, fix, data) : warn(CHECK.defaultVpc, detail, fix, data);
  }
  return ok(CHECK.defaultVpc, `${vpcId}, default subnets in ${zones.join(', ')}`, data);
}
