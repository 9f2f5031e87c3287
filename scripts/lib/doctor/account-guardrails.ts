// Account settings that break a launch or a session far from their cause: the permissions
// boundary every pillbox role carries, the account's default EBS key (a customer-managed key
// needs KMS grants, or the encrypted launch goes pending → terminated with
// Client.InternalError), and Session Manager preferences that require KMS or S3/CloudWatch
// logging the instance role does not grant. References: IAM GetPolicy; EC2
// GetEbsDefaultKmsKeyId (`alias/aws/ebs` unless changed) and ModifyEbsDefaultKmsKeyId (a deleted
// or disabled default key fails every launch); KMS DescribeKey (KeyMetadata.KeyManager AWS or
// CUSTOMER, KeyState); the EBS guide's "Requirements for Amazon EBS encryption" (the KMS actions
// a launching principal needs on a customer managed key); Session Manager preferences live
// in the SSM-SessionManagerRunShell document (inputs kmsKeyId, s3BucketName,
// cloudWatchLogGroupName), Session Manager guide "Create the Session Manager preferences document".
import { GetEbsDefaultKmsKeyIdCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { GetPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetDocumentCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { boundaryArn, CREATE_BOUNDARY_HINT } from '../aws/iam.js';
import { awsErrorName } from '../core/aws-errors.js';
import { CHECK, fail, ok, warn, type CheckResult } from './check.js';

export async function checkBoundary(iam: IAMClient, scope: { accountId: string; partition?: string }): Promise<CheckResult> {
  const arn = boundaryArn(scope);
  try {
    await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    return ok(CHECK.boundary, `${arn} exists`);
  } catch (err) {
    if (awsErrorName(err) !== 'NoSuchEntityException') throw err;
    return fail(CHECK.boundary, `${arn} does not exist: provision would stop at CreateRole`, CREATE_BOUNDARY_HINT);
  }
}

/** What lets a launch use a customer managed default key, or puts the AWS managed one back. */
export const EBS_KEY_FIX =
  'Grant the credentials that run provision kms:CreateGrant, kms:Decrypt, kms:DescribeKey, kms:GenerateDataKeyWithoutPlaintext and kms:ReEncrypt* on that key (its key policy or an IAM policy), or reset the default: `aws ec2 reset-ebs-default-kms-key-id`.';

/**
 * The AWS managed key answers as its alias; any other key is described: an AWS managed one is
 * fine, a customer managed one needs grants the launch may lack, a disabled or deleted one fails
 * every launch.
 */
export async function checkEbsDefaultKey(ec2: EC2Client, kms: KMSClient): Promise<CheckResult> {
  const key = (await ec2.send(new GetEbsDefaultKmsKeyIdCommand({}))).KmsKeyId ?? 'alias/aws/ebs';
  if (key === 'alias/aws/ebs') return ok(CHECK.ebsKey, 'encrypted volumes use the AWS managed key aws/ebs');
  let meta;
  try {
    meta = (await kms.send(new DescribeKeyCommand({ KeyId: key }))).KeyMetadata;
  } catch (err) {
    return warn(
      CHECK.ebsKey,
      `the account's default EBS key is ${key}, which KMS would not describe (${awsErrorName(err)}): if it is customer managed, a launch goes pending, then terminated with Client.InternalError, unless these credentials may use it`,
      EBS_KEY_FIX,
      { kmsKeyId: key },
    );
  }
  const data = { kmsKeyId: key, keyManager: meta?.KeyManager, keyState: meta?.KeyState };
  if (meta?.KeyState !== undefined && meta.KeyState !== 'Enabled') {
    return fail(CHECK.ebsKey, `the account's default EBS key ${key} is ${meta.KeyState}: every encrypted launch fails`, 'Enable the key again, or reset the default: `aws ec2 reset-ebs-default-kms-key-id`.', data);
  }
  if (meta?.KeyManager === 'AWS') return ok(CHECK.ebsKey, `encrypted volumes use the AWS managed key ${key}`, data);
  return warn(CHECK.ebsKey, `the account's default EBS key ${key} is customer managed: a launch goes pending, then terminated with Client.InternalError, unless these credentials may use it`, EBS_KEY_FIX, data);
}

interface SessionInputs {
  kmsKeyId?: string;
  s3BucketName?: string;
  cloudWatchLogGroupName?: string;
}

export async function checkSessionPreferences(ssm: SSMClient): Promise<CheckResult> {
  let content: string | undefined;
  try {
    // JSON whatever format the document was written in (GetDocument DocumentFormat).
    content = (await ssm.send(new GetDocumentCommand({ Name: 'SSM-SessionManagerRunShell', DocumentFormat: 'JSON' }))).Content;
  } catch (err) {
    if (awsErrorName(err) !== 'InvalidDocument') throw err;
    return ok(CHECK.sessionPreferences, 'Session Manager uses its defaults (no preferences document)');
  }
  const inputs = ((JSON.parse(content ?? '{}') as { inputs?: SessionInputs }).inputs ?? {}) as SessionInputs;
  const needs = [
    inputs.kmsKeyId ? `KMS encryption with ${inputs.kmsKeyId}` : undefined,
    inputs.s3BucketName ? `logging to s3://${inputs.s3BucketName}` : undefined,
    inputs.cloudWatchLogGroupName ? `logging to the CloudWatch group ${inputs.cloudWatchLogGroupName}` : undefined,
  ].filter((n): n is string => n !== undefined);
  if (needs.length === 0) return ok(CHECK.sessionPreferences, 'Session Manager preferences require no KMS key and no logging');
  return warn(
    CHECK.sessionPreferences,
    `Session Manager preferences require ${needs.join(', ')}, which the pillbox instance role does not grant: \`npm run session\` and \`npm run kibana\` will fail`,
    'Clear those preferences in the Session Manager console (Preferences), or use an account without them.',
    inputs,
  );
}
