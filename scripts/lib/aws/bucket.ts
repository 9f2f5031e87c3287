// The project bucket: created on first use, and its settings written again on every
// provision so a bucket changed by hand converges. Every call names the expected owner,
// so a bucket someone else created under this name is never used.
// Settings checked against the S3 API reference (the SDK's own model docs in
// node_modules/@aws-sdk/client-s3) and the notes in STEPS.md, phase 4.
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { resolveRegion, type AwsClients } from '../core/aws-clients.js';
import type { Clock } from '../core/clock.js';
import { PROJECT, TAG, type Tag } from '../core/names.js';
import { awsErrorName, isForbidden, isGone } from '../core/aws-errors.js';
import { OperatorError } from '../core/operator-error.js';
import { pollUntil } from '../core/poll.js';
import { callerAccount } from './caller.js';
import { bucketName, ENVS_PREFIX, KIND_TAG, SOURCE_RETENTION_DAYS } from './bucket-keys.js';

/** The bucket of one account and region, and the client that reaches it. */
export interface Storage {
  s3: S3Client;
  bucket: string;
  /** The expected owner, sent with every call. */
  accountId: string;
  region: string;
}

export const storageFor = (s3: S3Client, accountId: string, region: string): Storage => ({ s3, bucket: bucketName(accountId, region), accountId, region });

/** The bucket of the account the credentials belong to, in the configured region. */
export async function projectStorage(clients: Pick<AwsClients, 'sts' | 'ec2'>, s3: S3Client): Promise<Storage> {
  const region = await resolveRegion(clients);
  return storageFor(s3, (await callerAccount(clients.sts)).accountId, region);
}

export const PUBLIC_ACCESS_BLOCK = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } as const;

/** Refuses every request that does not come over TLS (the s3-bucket-ssl-requests-only rule). */
export function bucketPolicy(bucket: string): object {
  const arn = `arn:aws:s3:::${bucket}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

/**
 * A lifecycle prefix is literal (a `*` in it matches only an asterisk, silently), so no
 * one rule covers every environment's source/ folder. Objects expire by their kind tag
 * instead: two rules whatever the number of environments, and nothing to rewrite when one
 * comes or goes (per-environment rules would be a read-modify-write race between two
 * provisions). Uploads that never completed are aborted after a day; that rule filters by
 * prefix, as S3 allows no tag filter on it.
 */
export function lifecycleRules(backupRetentionDays: number): LifecycleRule[] {
  const byKind = (kind: string, days: number): LifecycleRule => ({
    ID: `${PROJECT}-expire-${kind}`,
    Status: 'Enabled',
    Filter: { And: { Prefix: ENVS_PREFIX, Tags: [{ Key: KIND_TAG, Value: kind }] } },
    Expiration: { Days: days },
  });
  return [
    byKind('source', SOURCE_RETENTION_DAYS),
    byKind('backup', backupRetentionDays),
    { ID: `${PROJECT}-abort-incomplete-uploads`, Status: 'Enabled', Filter: { Prefix: ENVS_PREFIX }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
  ];
}

/** The bucket serves every environment, so it carries no Env tag. */
export const bucketTags = (): Tag[] => [
  { Key: TAG.project, Value: PROJECT },
  { Key: TAG.managedBy, Value: PROJECT },
];

export type BucketState = 'present' | 'missing';

function notOurs(storage: Storage): OperatorError {
  return new OperatorError(
    `S3 answered 403 to HeadBucket on ${storage.bucket}: another AWS account owns that name, or these credentials may not use it.`,
    `Give the credentials the S3 actions in docs/deploy-role-policy.json; if ${storage.bucket} belongs to another account, it was taken on purpose: report it to AWS.`,
  );
}

/** HeadBucket answers 404 for a missing bucket and 403 for someone else's. */
export async function observeBucket(storage: Storage): Promise<BucketState> {
  try {
    await storage.s3.send(new HeadBucketCommand({ Bucket: storage.bucket, ExpectedBucketOwner: storage.accountId }));
    return 'present';
  } catch (err) {
    if (isGone(err)) return 'missing';
    if (isForbidden(err)) throw notOurs(storage);
    throw err;
  }
}

export interface ConvergeOptions {
  backupRetentionDays: number;
  clock: Clock;
}

/** How long a new bucket may take to answer HeadBucket, and how often to ask. */
export const BUCKET_VISIBLE_LIMIT_MS = 60_000;
const BUCKET_POLL_MS = 2_000;

/** us-east-1 takes no LocationConstraint (the enum has no such value); every other region needs one. */
export const createBucketInput = (storage: Storage) => ({
  Bucket: storage.bucket,
  ...(storage.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: storage.region as BucketLocationConstraint } }),
});

const creationDenied = (storage: Storage) =>
  new OperatorError(
    `The project bucket ${storage.bucket} does not exist, and these credentials may not create it (the CI role reaches feature environments' objects only).`,
    'An operator creates it once with docs/operator-policy.json: any `npm run provision` from a laptop does (docs/aws-setup.md, step 5).',
  );

async function createBucket(storage: Storage, clock: Clock): Promise<void> {
  try {
    await storage.s3.send(new CreateBucketCommand(createBucketInput(storage)));
  } catch (err) {
    const name = awsErrorName(err);
    if (name === 'BucketAlreadyExists') throw notOurs(storage);
    if (isForbidden(err)) throw creationDenied(storage);
    // A concurrent provision created it first.
    if (name !== 'BucketAlreadyOwnedByYou') throw err;
  }
  // A new bucket can answer NotFound for a moment; wait until it is visible.
  const timeout = () => new OperatorError(`The bucket ${storage.bucket} was created but does not answer yet.`, 'Run the command again in a minute; it converges from here.');
  await pollUntil(clock, { deadline: clock.now() + BUCKET_VISIBLE_LIMIT_MS, intervalMs: BUCKET_POLL_MS, timeout }, async () => ((await observeBucket(storage)) === 'present' ? true : undefined));
}

/** 'kept': the bucket exists and these credentials may not write its settings (the CI role), so an operator's last provision stands. */
export type BucketSettings = 'written' | 'kept';

/** Creates the bucket when missing, then writes every setting; says what it found and whether it wrote. */
export async function convergeBucket(storage: Storage, options: ConvergeOptions): Promise<{ found: BucketState; settings: BucketSettings }> {
  const found = await observeBucket(storage);
  if (found === 'missing') await createBucket(storage, options.clock);
  const owner = { Bucket: storage.bucket, ExpectedBucketOwner: storage.accountId };
  // Public access is blocked first, before anything else can be written.
  try {
    await storage.s3.send(new PutPublicAccessBlockCommand({ ...owner, PublicAccessBlockConfiguration: { ...PUBLIC_ACCESS_BLOCK } }));
  } catch (err) {
    // Only a bucket that was already there, as someone allowed to set it up left it.
    if (found === 'present' && isForbidden(err)) return { found, settings: 'kept' };
    throw err;
  }
  await storage.s3.send(new PutBucketEncryptionCommand({ ...owner, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } }));
  await storage.s3.send(new PutBucketPolicyCommand({ ...owner, Policy: JSON.stringify(bucketPolicy(storage.bucket)) }));
  await storage.s3.send(new PutBucketLifecycleConfigurationCommand({ ...owner, LifecycleConfiguration: { Rules: lifecycleRules(options.backupRetentionDays) } }));
  // Replaces the whole tag set, so it converges too.
  await storage.s3.send(new PutBucketTaggingCommand({ ...owner, Tagging: { TagSet: bucketTags() } }));
  return { found, settings: 'written' };
}
