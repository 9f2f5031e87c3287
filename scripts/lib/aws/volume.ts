// The box's root volume as EC2 reports it: its size is a setting provision compares.
import { DescribeVolumesCommand, type EC2Client } from '@aws-sdk/client-ec2';

/** Size in GiB of one EBS volume (the instance's BlockDeviceMappings name it). */
export async function volumeSizeGb(ec2: EC2Client, volumeId: string): Promise<number | undefined> {
  const out = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  return out.Volumes?.find((v) => v.VolumeId === volumeId)?.Size;
}
