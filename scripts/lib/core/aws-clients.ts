// The SDK clients, made once at the entry point and passed down, so tests inject mocks.
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { isRegionMissing, noRegionConfigured, OperatorError } from './operator-error.js';

export interface AwsClients {
  ec2: EC2Client;
  ssm: SSMClient;
  iam: IAMClient;
  sts: STSClient;
  scheduler: SchedulerClient;
  /** The Resource Groups Tagging API: what carries the project's tags in the region (teardown's sweep). */
  tagging: ResourceGroupsTaggingAPIClient;
  /** KMS: the doctor describes the account's default EBS key. */
  kms: KMSClient;
}

/**
 * What every client is made with. Adaptive retries back off on throttling and rate-limit
 * the whole process on the client side. Credentials, region and endpoints come from the
 * SDK's standard chain (AWS_PROFILE, AWS_REGION, ~/.aws/config, AWS_ENDPOINT_URL*);
 * `region` only overrides.
 */
export const clientConfig = (region?: string) => ({ retryMode: 'adaptive', maxAttempts: 8, ...(region ? { region } : {}) }) as const;

export function createAwsClients(region?: string): AwsClients {
  const config = clientConfig(region);
  return {
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
    iam: new IAMClient(config),
    sts: new STSClient(config),
    scheduler: new SchedulerClient(config),
    tagging: new ResourceGroupsTaggingAPIClient(config),
    kms: new KMSClient(config),
  };
}

/** The project bucket's client, made by the commands that move code or data. */
export const createS3Client = (region?: string): S3Client => new S3Client(clientConfig(region));

/**
 * The region the clients resolved. Only a region that no source provides reads as "not
 * configured"; anything else (a profile that does not exist, a malformed config file, a
 * name the SDK refuses) is reported with the SDK's own words.
 */
export async function resolveRegion(clients: Pick<AwsClients, 'ec2'>): Promise<string> {
  let region: string | undefined;
  try {
    region = await clients.ec2.config.region();
  } catch (err) {
    if (isRegionMissing(err)) throw noRegionConfigured();
    throw new OperatorError(
      `Could not read the AWS region: ${(err as Error).message.split('\n')[0]}`,
      'Check AWS_REGION, AWS_PROFILE and the region in ~/.aws/config for that profile, or pass --region.',
    );
  }
  if (!region) throw noRegionConfigured();
  return region;
}
