// The S3 part of the fake AWS world (fake-aws.ts): the account's buckets, answered on the
// world's clock, with its faults, throttling bursts and crashes, as strict as S3 where
// pillbox depends on it: buckets have an owner (ExpectedBucketOwner mismatches are
// refused), a new bucket stays invisible to HeadBucket for a while, listings page, a
// PutObject is atomic and refused (BadDigest) when its body does not match the SHA-256
// sent, lifecycle rules are validated the way S3 validates them. Errors S3 models carry
// the SDK's own classes (NoSuchBucket, NoSuchKey, NotFound). The mock skips the SDK's
// middleware, so nothing here computes or checks a checksum unless this file does.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as s3 from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';
import { awsError } from './aws-error.js';

export interface FakeObject {
  body: Buffer;
  metadata: Record<string, string>;
  /** What S3 stores as the object's SHA-256 (base64), when the upload sent one. */
  checksumSha256?: string;
  tagging: string;
  contentType?: string;
}

export interface FakeBucket {
  owner: string;
  region: string;
  objects: Map<string, FakeObject>;
  publicAccessBlock?: s3.PublicAccessBlockConfiguration;
  encryption?: s3.ServerSideEncryptionConfiguration;
  policy?: unknown;
  lifecycle?: s3.LifecycleRule[];
  tags?: s3.Tag[];
  /** Until this clock time, HeadBucket answers NotFound (a bucket just created). */
  visibleAt: number;
  /** Keys DeleteObjects reports in Errors with this code instead of deleting them. */
  undeletable?: Map<string, { Code: string; Message: string }>;
}

/** What of the world the S3 fake reads and changes. */
export interface S3State {
  accountId: string;
  region: string;
  buckets: Map<string, FakeBucket>;
  /** Items per page of every list. */
  pageSize: number;
  /** After CreateBucket, HeadBucket answers NotFound this long (ms of the world's clock). */
  timing: { bucketVisibleMs: number };
}

export type S3Mock = AwsStub<s3.ServiceInputTypes, s3.ServiceOutputTypes, s3.S3ClientResolvedConfig>;

/** Wraps a handler with the world's clock, crash, faults and throttling (fake-aws.ts). */
export type Wrap = <I, O>(name: string, fn: (input: I) => O) => (input: I) => Promise<O>;

export const sha256Base64 = (body: Buffer): string => createHash('sha256').update(body).digest('base64');

/** A bucket that already exists (created by an earlier provision), visible at once. */
export function aBucket(world: S3State, name: string, owner = world.accountId): FakeBucket {
  const bucket: FakeBucket = { owner, region: world.region, objects: new Map(), visibleAt: 0 };
  world.buckets.set(name, bucket);
  return bucket;
}

/** Puts an object the way another writer would (the box's aws CLI, or a person). */
export function putObject(world: S3State, bucket: string, key: string, body: Buffer | string, extra: Partial<FakeObject> = {}): void {
  const b = world.buckets.get(bucket);
  if (!b) throw new Error(`no bucket ${bucket}`);
  b.objects.set(key, { body: Buffer.from(body), metadata: {}, tagging: '', ...extra });
}

/** The keys a bucket holds under a prefix, sorted. */
export const keysUnder = (world: S3State, bucket: string, prefix: string): string[] => [...(world.buckets.get(bucket)?.objects.keys() ?? [])].filter((k) => k.startsWith(prefix)).sort();

function toBuffer(body: unknown): Buffer {
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  throw new Error('the fake S3 takes string or byte bodies only');
}

function validateLifecycle(rules: s3.LifecycleRule[]): void {
  if (rules.length > 1000) throw awsError('InvalidRequest', 'at most 1000 rules');
  const ids = new Set<string>();
  for (const rule of rules) {
    if (rule.ID) {
      if (ids.has(rule.ID)) throw awsError('InvalidArgument', `duplicate rule ID ${rule.ID}`);
      ids.add(rule.ID);
    }
    const forms = Object.keys(rule.Filter ?? {}).filter((k) => (rule.Filter as Record<string, unknown>)[k] !== undefined);
    if (forms.length > 1) throw awsError('MalformedXML', 'a Filter holds exactly one of Prefix, Tag, ObjectSize*, And');
    const tagged = rule.Filter?.Tag !== undefined || (rule.Filter?.And?.Tags?.length ?? 0) > 0;
    if (rule.AbortIncompleteMultipartUpload && tagged) throw awsError('InvalidRequest', 'AbortIncompleteMultipartUpload cannot be specified with Tags.');
    if (!rule.Expiration && !rule.AbortIncompleteMultipartUpload && !rule.Transitions) throw awsError('MalformedXML', 'a rule needs an action');
  }
}

const noSuchBucket = () => new s3.NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: { httpStatusCode: 404 } });
/** HEAD requests have no body, so S3's 404 reaches the SDK as a bare NotFound. */
const notFound = () => new s3.NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
/**
 * A 403 to a HEAD, as SDK v3 raises it: the response has no body, so the REST-XML protocol finds no
 * error code and names it "Unknown" (@aws-sdk/core 3.981, AwsRestXmlProtocol.handleError).
 */
const headForbidden = () => Object.assign(new Error('UnknownError'), { name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: 403, attempts: 1 } });

/** Answers every S3 command pillbox sends from `world`, each handler wrapped by `h`. */
export function answerS3(mock: S3Mock, world: S3State, now: () => number, h: Wrap): void {
  /** The bucket a request names, as S3 answers for a missing one or someone else's. */
  const bucketOf = (input: { Bucket?: string; ExpectedBucketOwner?: string }): FakeBucket => {
    const b = world.buckets.get(input.Bucket ?? '');
    if (!b) throw noSuchBucket();
    if (input.ExpectedBucketOwner && input.ExpectedBucketOwner !== b.owner) throw awsError('AccessDenied', 'Access Denied');
    return b;
  };

  mock.on(s3.HeadBucketCommand).callsFake(
    h('HeadBucket', (input: s3.HeadBucketCommandInput) => {
      const b = world.buckets.get(input.Bucket ?? '');
      if (!b || now() < b.visibleAt) throw notFound();
      if (input.ExpectedBucketOwner && input.ExpectedBucketOwner !== b.owner) throw headForbidden();
      return { BucketRegion: b.region };
    }),
  );
  mock.on(s3.CreateBucketCommand).callsFake(
    h('CreateBucket', (input: s3.CreateBucketCommandInput) => {
      const constraint = input.CreateBucketConfiguration?.LocationConstraint;
      if (world.region === 'us-east-1' ? constraint !== undefined : constraint !== world.region) {
        throw awsError('IllegalLocationConstraintException', `The ${String(constraint)} location constraint is incompatible for the region specific endpoint this request was sent to.`);
      }
      const existing = world.buckets.get(input.Bucket ?? '');
      if (existing?.owner === world.accountId) throw new s3.BucketAlreadyOwnedByYou({ message: 'Your previous request to create the named bucket succeeded and you already own it.', $metadata: {} });
      if (existing) throw new s3.BucketAlreadyExists({ message: 'The requested bucket name is not available.', $metadata: {} });
      world.buckets.set(input.Bucket ?? '', { owner: world.accountId, region: world.region, objects: new Map(), visibleAt: now() + world.timing.bucketVisibleMs });
      return { Location: `/${input.Bucket}` };
    }),
  );
  mock.on(s3.PutPublicAccessBlockCommand).callsFake(h('PutPublicAccessBlock', (i: s3.PutPublicAccessBlockCommandInput) => ((bucketOf(i).publicAccessBlock = i.PublicAccessBlockConfiguration), {})));
  mock.on(s3.PutBucketEncryptionCommand).callsFake(h('PutBucketEncryption', (i: s3.PutBucketEncryptionCommandInput) => ((bucketOf(i).encryption = i.ServerSideEncryptionConfiguration), {})));
  mock.on(s3.PutBucketPolicyCommand).callsFake(
    h('PutBucketPolicy', (i: s3.PutBucketPolicyCommandInput) => {
      const b = bucketOf(i);
      try {
        b.policy = JSON.parse(i.Policy ?? '');
      } catch {
        throw awsError('MalformedPolicy', 'Policies must be valid JSON');
      }
      return {};
    }),
  );
  mock.on(s3.PutBucketLifecycleConfigurationCommand).callsFake(
    h('PutBucketLifecycleConfiguration', (i: s3.PutBucketLifecycleConfigurationCommandInput) => {
      const b = bucketOf(i);
      const rules = i.LifecycleConfiguration?.Rules ?? [];
      validateLifecycle(rules);
      b.lifecycle = rules;
      return {};
    }),
  );
  mock.on(s3.PutBucketTaggingCommand).callsFake(h('PutBucketTagging', (i: s3.PutBucketTaggingCommandInput) => ((bucketOf(i).tags = i.Tagging?.TagSet), {})));

  mock.on(s3.ListObjectsV2Command).callsFake(
    h('ListObjectsV2', (i: s3.ListObjectsV2CommandInput) => {
      const b = bucketOf(i);
      const keys = [...b.objects.keys()].filter((k) => k.startsWith(i.Prefix ?? '')).sort();
      const start = i.ContinuationToken === undefined ? 0 : Number(i.ContinuationToken.replace('token-', ''));
      if (Number.isNaN(start)) throw awsError('InvalidArgument', 'The continuation token provided is incorrect');
      const size = Math.min(i.MaxKeys ?? 1000, world.pageSize);
      const keysOfPage = keys.slice(start, start + size);
      const more = start + size < keys.length;
      return {
        Contents: keysOfPage.map((Key) => ({ Key, Size: b.objects.get(Key)?.body.length, LastModified: new Date('2026-11-21T03:00:00Z') })),
        KeyCount: keysOfPage.length,
        IsTruncated: more,
        NextContinuationToken: more ? `token-${start + size}` : undefined,
      };
    }),
  );
  mock.on(s3.PutObjectCommand).callsFake(
    h('PutObject', (i: s3.PutObjectCommandInput) => {
      const b = bucketOf(i);
      const body = toBuffer(i.Body);
      if (i.ChecksumSHA256 !== undefined && i.ChecksumSHA256 !== sha256Base64(body)) throw awsError('BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
      b.objects.set(i.Key ?? '', { body, metadata: i.Metadata ?? {}, checksumSha256: i.ChecksumSHA256, tagging: i.Tagging ?? '', contentType: i.ContentType });
      return { ChecksumSHA256: i.ChecksumSHA256 };
    }),
  );
  const objectOf = (i: { Bucket?: string; Key?: string; ExpectedBucketOwner?: string }, missing: () => Error): FakeObject => {
    const o = bucketOf(i).objects.get(i.Key ?? '');
    if (!o) throw missing();
    return o;
  };
  mock.on(s3.HeadObjectCommand).callsFake(
    h('HeadObject', (i: s3.HeadObjectCommandInput) => {
      const b = world.buckets.get(i.Bucket ?? '');
      if (b && i.ExpectedBucketOwner && i.ExpectedBucketOwner !== b.owner) throw headForbidden();
      const o = objectOf(i, notFound);
      return { ContentLength: o.body.length, Metadata: o.metadata, ...(i.ChecksumMode === 'ENABLED' && o.checksumSha256 ? { ChecksumSHA256: o.checksumSha256 } : {}) };
    }),
  );
  mock.on(s3.GetObjectCommand).callsFake(
    h('GetObject', (i: s3.GetObjectCommandInput) => {
      const o = objectOf(i, () => new s3.NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));
      const stream = Object.assign(Readable.from([o.body]), {
        transformToString: async (encoding?: BufferEncoding) => o.body.toString(encoding),
        transformToByteArray: async () => new Uint8Array(o.body),
      });
      return { Body: stream as unknown as s3.GetObjectCommandOutput['Body'], ContentLength: o.body.length, Metadata: o.metadata };
    }),
  );
  mock.on(s3.DeleteObjectsCommand).callsFake(
    h('DeleteObjects', (i: s3.DeleteObjectsCommandInput) => {
      const b = bucketOf(i);
      const objects = i.Delete?.Objects ?? [];
      if (objects.length > 1000) throw awsError('MalformedXML', 'at most 1000 keys');
      // Keys S3 refuses one by one (a legal hold, a policy) come back in Errors, Quiet or not; the rest go.
      const refused = objects.filter((o) => b.undeletable?.has(o.Key ?? ''));
      const deleted = objects.filter((o) => !refused.includes(o));
      for (const o of deleted) b.objects.delete(o.Key ?? '');
      const errors = refused.map((o) => ({ Key: o.Key, ...b.undeletable?.get(o.Key ?? '') }));
      return { Deleted: i.Delete?.Quiet ? [] : deleted.map((o) => ({ Key: o.Key })), ...(errors.length ? { Errors: errors } : {}) };
    }),
  );
}
