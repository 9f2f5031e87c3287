// The environment's Elastic IP: the address a domain's DNS record points at, so it survives `--replace`.
// Allocated only for an environment with a domain (and kept once it exists), tagged like everything else,
// moved to each new instance, released by teardown.
import { AllocateAddressCommand, AssociateAddressCommand, DescribeAddressesCommand, ReleaseAddressCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { envFilters, envNames, TAG, type Tag } from '../core/names.js';
import { isGone } from '../core/aws-errors.js';

/**
 * USD per hour for a public IPv4 address, in use or idle (AWS VPC pricing, "Public IPv4 address", since
 * February 2024). While attached it replaces the instance's own public IPv4, which costs the same; after the
 * box removes itself it keeps costing this until teardown releases it.
 */
export const ELASTIC_IP_HOURLY_USD = 0.005;

export interface ElasticIp {
  allocationId: string;
  publicIp: string;
  /** The instance it is attached to, if any. */
  instanceId?: string;
}

/** The environment's Elastic IP, found by its tags (there is at most one). */
export async function findElasticIp(ec2: EC2Client, env: string): Promise<ElasticIp | undefined> {
  const out = await ec2.send(new DescribeAddressesCommand({ Filters: envFilters(env) }));
  const address = out.Addresses?.[0];
  if (!address?.AllocationId || !address.PublicIp) return undefined;
  return { allocationId: address.AllocationId, publicIp: address.PublicIp, instanceId: address.InstanceId };
}

export async function allocateElasticIp(ec2: EC2Client, env: string, tags: Tag[]): Promise<ElasticIp> {
  const out = await ec2.send(
    new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [...tags, { Key: TAG.name, Value: envNames(env).instance }] }] }),
  );
  if (!out.AllocationId || !out.PublicIp) throw new Error('AllocateAddress returned no allocation');
  return { allocationId: out.AllocationId, publicIp: out.PublicIp };
}

/** Attaches the address to the instance (running), taking it from a previous one if need be. */
export async function associateElasticIp(ec2: EC2Client, allocationId: string, instanceId: string): Promise<void> {
  await ec2.send(new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: instanceId, AllowReassociation: true }));
}

/** After its instance is gone; an address already released counts as released. */
export async function releaseElasticIp(ec2: EC2Client, allocationId: string): Promise<void> {
  try {
    await ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId }));
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}
