// The SDK clients, made once at the entry point and passed down, so tests inject mocks.
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { OperatorError } from './operator-error.js';

export interface AwsClients {
  ec2: EC2Client;
  ssm: SSMClient;
  iam: IAMClient;
  sts: STSClient;
}

/** Adaptive retries back off on throttling for the whole process (client-side rate limiting). */
const RETRY = { retryMode: 'adaptive', maxAttempts: 8 } as const;

/**
 * Credentials, region and endpoints come from the SDK's standard chain
 * (AWS_PROFILE, AWS_REGION, ~/.aws/config, AWS_ENDPOINT_URL*); `region` only overrides.
 */
export function createAwsClients(region?: string): AwsClients {
  const config = region ? { ...RETRY, region } : { ...RETRY };
  return {
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
    iam: new IAMClient(config),
    sts: new STSClient(config),
  };
}

/** The project bucket's client, made by the commands that move code or data. */
export const createS3Client = (region?: string): S3Client => new S3Client(region ? { ...RETRY, region } : { ...RETRY });

/** The region the clients resolved, or an operator error when none is configured. */
export async function resolveRegion(clients: Pick<AwsClients, 'ec2'>): Promise<string> {
  let region: string | undefined;
  try {
    region = await clients.ec2.config.region();
  } catch {
    region = undefined;
  }
  if (!region) {
    throw new OperatorError('No AWS region configured.', 'Set AWS_REGION (e.g. AWS_REGION=eu-west-1), a region in your AWS profile, or pass --region.');
  }
  return region;
}
