// An in-memory S3 behind aws-sdk-client-mock, as strict as the real one where pillbox
// depends on it: buckets have an owner (ExpectedBucketOwner mismatches are refused), a new
// bucket can stay invisible for a few calls, listings page, a PutObject is atomic and
// refused (BadDigest) when its body does not match the SHA-256 sent, lifecycle rules are
// validated the way S3 validates them. The mock skips the SDK's middleware, so nothing
// here computes or checks a checksum unless this file does.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as s3 from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { awsError, withFaults } from './fake-aws.js';

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
  /** HeadBucket answers NotFound this many more times (a bucket just created). */
  invisibleFor: number;
}

export interface S3World {
  accountId: string;
  region: string;
  buckets: Map<string, FakeBucket>;
  /** Objects per ListObjectsV2 page, small so every listing pages. */
  pageSize: number;
  /** How many HeadBucket calls a newly created bucket stays invisible for. */
  newBucketInvisibleFor: number;
  faults: Map<string, Error[]>;
}

export const anS3World = (overrides: Partial<S3World> = {}): S3World => ({
  accountId: '123456789012',
  region: 'eu-west-1',
  buckets: new Map(),
  pageSize: 2,
  newBucketInvisibleFor: 1,
  faults: new Map(),
  ...overrides,
});

/** The next `times` calls of `command` (e.g. 'PutObject') fail with `error`. */
export function failNextS3(world: S3World, command: string, error: Error, times = 1): void {
  world.faults.set(command, [...(world.faults.get(command) ?? []), ...Array.from({ length: times }, () => error)]);
}

export const sha256Base64 = (body: Buffer): string => createHash('sha256').update(body).digest('base64');

/** Puts an object the way another writer would (the box's aws CLI, or a person). */
export function putObject(world: S3World, bucket: string, key: string, body: Buffer | string, extra: Partial<FakeObject> = {}): void {
  const b = world.buckets.get(bucket);
  if (!b) throw new Error(`no bucket ${bucket}`);
  const buf = Buffer.from(body);
  b.objects.set(key, { body: buf, metadata: {}, tagging: '', ...extra });
}

/** A bucket that already exists (created by an earlier provision), visible at once. */
export function aBucket(world: S3World, name: string, owner = world.accountId): FakeBucket {
  const bucket: FakeBucket = { owner, region: world.region, objects: new Map(), invisibleFor: 0 };
  world.buckets.set(name, bucket);
  return bucket;
}

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

export function fakeS3(world: S3World) {
  const client = new s3.S3Client({ region: world.region, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  const mock = mockClient(client);
  mock.onAnyCommand().rejects(new Error('unexpected command in fake S3'));

  const h = withFaults(world.faults);

  /** The bucket a request names, as S3 answers for a missing one or someone else's. */
  const bucketOf = (input: { Bucket?: string; ExpectedBucketOwner?: string }): FakeBucket => {
    const b = world.buckets.get(input.Bucket ?? '');
    if (!b) throw awsError('NoSuchBucket', 'The specified bucket does not exist');
    if (input.ExpectedBucketOwner && input.ExpectedBucketOwner !== b.owner) throw awsError('AccessDenied', 'Access Denied');
    return b;
  };

  mock.on(s3.HeadBucketCommand).callsFake(
    h('HeadBucket', (input: s3.HeadBucketCommandInput) => {
      const b = world.buckets.get(input.Bucket ?? '');
      if (!b) throw awsError('NotFound');
      if (input.ExpectedBucketOwner && input.ExpectedBucketOwner !== b.owner) throw awsError('Forbidden');
      if (b.invisibleFor > 0) {
        b.invisibleFor -= 1;
        throw awsError('NotFound');
      }
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
      if (existing) throw awsError(existing.owner === world.accountId ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists');
      world.buckets.set(input.Bucket ?? '', { owner: world.accountId, region: world.region, objects: new Map(), invisibleFor: world.newBucketInvisibleFor });
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
      const start = Number(i.ContinuationToken ?? 0);
      const size = Math.min(i.MaxKeys ?? 1000, world.pageSize);
      const page = keys.slice(start, start + size);
      const more = start + size < keys.length;
      return {
        Contents: page.map((Key) => ({ Key, Size: b.objects.get(Key)?.body.length, LastModified: new Date('2026-11-21T03:00:00Z') })),
        KeyCount: page.length,
        IsTruncated: more,
        NextContinuationToken: more ? String(start + size) : undefined,
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
  const objectOf = (i: { Bucket?: string; Key?: string; ExpectedBucketOwner?: string }, missing: string): FakeObject => {
    const o = bucketOf(i).objects.get(i.Key ?? '');
    if (!o) throw awsError(missing);
    return o;
  };
  mock.on(s3.HeadObjectCommand).callsFake(
    h('HeadObject', (i: s3.HeadObjectCommandInput) => {
      const o = objectOf(i, 'NotFound');
      return { ContentLength: o.body.length, Metadata: o.metadata, ...(i.ChecksumMode === 'ENABLED' && o.checksumSha256 ? { ChecksumSHA256: o.checksumSha256 } : {}) };
    }),
  );
  mock.on(s3.GetObjectCommand).callsFake(
    h('GetObject', (i: s3.GetObjectCommandInput) => {
      const o = objectOf(i, 'NoSuchKey');
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
      for (const o of objects) b.objects.delete(o.Key ?? '');
      return { Deleted: i.Delete?.Quiet ? [] : objects.map((o) => ({ Key: o.Key })) };
    }),
  );
  return { client, mock, restore: () => mock.restore() };
}

export type FakeS3 = ReturnType<typeof fakeS3>;
