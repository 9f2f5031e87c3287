// The instance type provision would launch: on pillbox's list (priced, x86_64, ≥ 4 GiB), offered
// in the region, and in how many of its zones.
import { paginateDescribeInstanceTypeOfferings, type EC2Client, type LocationType } from '@aws-sdk/client-ec2';
import { INSTANCE_TYPES, isAllowedInstanceType } from '../core/pricing.js';
import { CHECK, fail, ok, type CheckResult } from './check.js';

/** Where EC2 offers the type: the region itself, or its zone names. Filtered offerings still page. */
async function offeredAt(ec2: EC2Client, instanceType: string, locationType: LocationType): Promise<string[]> {
  const locations: string[] = [];
  const input = { LocationType: locationType, Filters: [{ Name: 'instance-type', Values: [instanceType] }] };
  for await (const page of paginateDescribeInstanceTypeOfferings({ client: ec2 }, input)) {
    for (const offering of page.InstanceTypeOfferings ?? []) if (offering.Location) locations.push(offering.Location);
  }
  return locations.sort();
}

export async function checkInstanceType(ec2: EC2Client, region: string, instanceType: string): Promise<CheckResult> {
  const choose = (why: string): string => `${why} with --instance-type or PILLBOX_INSTANCE_TYPE: ${Object.keys(INSTANCE_TYPES).join(', ')}.`;
  if (!isAllowedInstanceType(instanceType)) return fail(CHECK.instanceType, `${instanceType} is not on pillbox's list`, choose('Pick one'));

  const inRegion = await offeredAt(ec2, instanceType, 'region');
  const zones = inRegion.length > 0 ? await offeredAt(ec2, instanceType, 'availability-zone') : [];
  if (zones.length === 0) return fail(CHECK.instanceType, `${region} does not offer ${instanceType}`, choose('Pick another region with --region, or another type'));
  return ok(CHECK.instanceType, `${instanceType} offered in ${region}, ${zones.length} zone${zones.length === 1 ? '' : 's'} (${zones.join(', ')})`, { instanceType, zones });
}
