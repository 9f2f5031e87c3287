import * as s3 from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { bucketName, KIND_TAG, parseBackupKey, SOURCE_RETENTION_DAYS } from '../../../scripts/lib/aws/bucket-keys.js';
import { convergeBucket, lifecycleRules, observeBucket, storageFor, type Storage } from '../../../scripts/lib/aws/bucket.js';
import { aWorld, AWS_TIMING, awsError, failNext, fakeAws, rejection, throttleBurst, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aBucket } from '../fakes/fake-s3.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { headObject } from '../../../scripts/lib/aws/bucket-objects.js';

describe('the project bucket', () => {
  let world: World;
  let fake: FakeAws | undefined;
  let storage: Storage;
  let converge: (backupRetentionDays?: number) => ReturnType<typeof convergeBucket>;
  const use = (w: World) => {
    fake?.restore();
    world = w;
    const made = fakeAws(world);
    fake = made;
    storage = storageFor(made.s3, world.accountId, world.region);
    converge = (backupRetentionDays = 14) => convergeBucket(storage, { backupRetentionDays, clock: made.clock });
  };
  const slowBucket = (bucketVisibleMs: number) => aWorld({ timing: { ...AWS_TIMING, bucketVisibleMs } });
  beforeEach(() => use(aWorld()));
  afterEach(() => {
    fake?.restore();
    fake = undefined;
  });

  it('is named pillbox-<account>-<region>, within S3 limits for the longest region name', () => {
    expect(storage.bucket).to.equal('pillbox-123456789012-eu-west-1');
    const longest = bucketName('123456789012', 'ap-southeast-5');
    expect(longest.length).to.be.at.most(63);
    expect(longest).to.match(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
  });

  it('is created when missing, in its region, waiting until it is visible, then hardened', async () => {
    use(slowBucket(5_000));
    expect((await converge()).found).to.equal('missing');
    const create = fake!.mocks.s3.commandCalls(s3.CreateBucketCommand)[0]!.args[0].input;
    expect(create).to.deep.equal({ Bucket: 'pillbox-123456789012-eu-west-1', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });
    // Looked for once, then asked every 2 s until it answers 5 s after its creation.
    expect(fake!.mocks.s3.commandCalls(s3.HeadBucketCommand)).to.have.length(5);
    expect(world.log.indexOf('PutPublicAccessBlock')).to.be.greaterThan(world.log.lastIndexOf('HeadBucket'));
    const bucket = world.buckets.get(storage.bucket)!;
    expect(bucket.publicAccessBlock).to.deep.equal({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(bucket.encryption).to.deep.equal({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(bucket.tags).to.deep.equal([
      { Key: 'Project', Value: 'pillbox' },
      { Key: 'ManagedBy', Value: 'pillbox' },
    ]);
  });

  it('sends no LocationConstraint in us-east-1, which refuses one', async () => {
    use(aWorld({ region: 'us-east-1' }));
    await converge();
    expect(fake!.mocks.s3.commandCalls(s3.CreateBucketCommand)[0]!.args[0].input).to.deep.equal({ Bucket: 'pillbox-123456789012-us-east-1' });
  });

  it('denies every request that does not come over TLS', async () => {
    await converge();
    expect(world.buckets.get(storage.bucket)!.policy).to.deep.equal({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::pillbox-123456789012-eu-west-1', 'arn:aws:s3:::pillbox-123456789012-eu-west-1/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
  });

  it('expires objects by their kind tag, never by a wildcard prefix, and aborts unfinished uploads', async () => {
    await converge(30);
    const rules = world.buckets.get(storage.bucket)!.lifecycle!;
    expect(JSON.stringify(rules)).not.to.include('*');
    expect(rules.map((r) => [r.ID, r.Filter, r.Expiration?.Days])).to.deep.equal([
      ['pillbox-expire-source', { And: { Prefix: 'envs/', Tags: [{ Key: KIND_TAG, Value: 'source' }] } }, SOURCE_RETENTION_DAYS],
      ['pillbox-expire-backup', { And: { Prefix: 'envs/', Tags: [{ Key: KIND_TAG, Value: 'backup' }] } }, 30],
      ['pillbox-abort-incomplete-uploads', { Prefix: 'envs/' }, undefined],
    ]);
    expect(rules[2]!.AbortIncompleteMultipartUpload).to.deep.equal({ DaysAfterInitiation: 1 });
  });

  it('keeps source archives longer than the longest-lived box (72 h)', () => {
    expect(SOURCE_RETENTION_DAYS * 24).to.be.greaterThan(72);
    expect(lifecycleRules(14).every((r) => r.Status === 'Enabled')).to.equal(true);
  });

  it('converges an existing bucket changed by hand, without creating it again', async () => {
    const bucket = aBucket(world, storage.bucket);
    bucket.publicAccessBlock = { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false };
    bucket.tags = [{ Key: 'Owner', Value: 'someone' }];
    expect(await converge()).to.deep.equal({ found: 'present', settings: 'written' });
    expect(fake!.mocks.s3.commandCalls(s3.CreateBucketCommand)).to.have.length(0);
    expect(Object.values(bucket.publicAccessBlock)).to.deep.equal([true, true, true, true]);
    expect(bucket.tags?.map((t) => t.Key)).to.deep.equal(['Project', 'ManagedBy']);
  });

  it('names the expected owner on every call after creating', async () => {
    await converge();
    const calls = fake!.mocks.s3.calls().map((c) => c.args[0] as { constructor: { name: string }; input: { ExpectedBucketOwner?: string } });
    for (const call of calls.filter((c) => c.constructor.name !== 'CreateBucketCommand')) expect(call.input.ExpectedBucketOwner, call.constructor.name).to.equal('123456789012');
  });

  it('goes on when a concurrent provision created the bucket first (BucketAlreadyOwnedByYou)', async () => {
    // The other run wins the race between HeadBucket and CreateBucket.
    fake!.mocks.s3.on(s3.CreateBucketCommand).callsFake(() => {
      aBucket(world, storage.bucket);
      throw new s3.BucketAlreadyOwnedByYou({ message: 'Your previous request to create the named bucket succeeded and you already own it.', $metadata: {} });
    });
    expect((await converge()).found).to.equal('missing');
    expect(world.buckets.get(storage.bucket)!.lifecycle).to.have.length(3);
  });

  it('keeps the settings of an existing bucket when the credentials may not write them (the CI role), and goes on', async () => {
    const bucket = aBucket(world, storage.bucket);
    bucket.tags = [{ Key: 'Owner', Value: 'someone' }];
    failNext(world, 'PutPublicAccessBlock', awsError('AccessDenied', 'User is not authorized to perform: s3:PutBucketPublicAccessBlock'));
    expect(await converge()).to.deep.equal({ found: 'present', settings: 'kept' });
    expect(fake!.mocks.s3.commandCalls(s3.PutBucketLifecycleConfigurationCommand)).to.have.length(0);
    expect(bucket.tags?.map((t) => t.Key)).to.deep.equal(['Owner']);
  });

  it('stops when a bucket it just created refuses its settings: a new bucket is never left unhardened', async () => {
    failNext(world, 'PutPublicAccessBlock', awsError('AccessDenied', 'User is not authorized to perform: s3:PutBucketPublicAccessBlock'));
    const err = await rejection(converge());
    expect(err.message).to.match(/not authorized/);
  });

  it('names the operator as the fix when the bucket is missing and the credentials may not create it', async () => {
    failNext(world, 'CreateBucket', awsError('AccessDenied', 'User is not authorized to perform: s3:CreateBucket'));
    const err = await rejection(converge());
    expect(err.message).to.equal("The project bucket pillbox-123456789012-eu-west-1 does not exist, and these credentials may not create it (the CI role reaches feature environments' objects only).");
    expect((err as OperatorError).hint).to.match(/docs\/operator-policy\.json/);
  });

  it('refuses a bucket of that name owned by another account, naming the cause', async () => {
    aBucket(world, storage.bucket, '999999999999');
    const err = await rejection(converge());
    expect(err.message).to.equal('S3 answered 403 to HeadBucket on pillbox-123456789012-eu-west-1: another AWS account owns that name, or these credentials may not use it.');
    expect(fake!.mocks.s3.commandCalls(s3.PutBucketPolicyCommand)).to.have.length(0);
  });

  it('names the call, the object and the likely cause when a HeadObject gets a 403 with no body', async () => {
    aBucket(world, storage.bucket, '999999999999');
    const err = await rejection(headObject(storage, 'envs/dev/source/abc.tar.gz'));
    expect(err.message).to.equal('S3 answered 403 to HeadObject on s3://pillbox-123456789012-eu-west-1/envs/dev/source/abc.tar.gz, with no reason (a HEAD response has no body).');
    expect(err.hint).to.match(/^Likely the credentials may not read that prefix .*docs\/deploy-role-policy\.json.*another account; check AWS_PROFILE\.$/);
  });

  it('says what to give the credentials, and what a name taken on purpose means', async () => {
    aBucket(world, storage.bucket, '999999999999');
    expect((await rejection(converge())).hint).to.equal(
      'Give the credentials the S3 actions in docs/deploy-role-policy.json; if pillbox-123456789012-eu-west-1 belongs to another account, it was taken on purpose: report it to AWS.',
    );
  });

  it('passes any other failure to create it through, and writes no settings', async () => {
    failNext(world, 'CreateBucket', awsError('InternalError', 'We encountered an internal error. Please try again.'));
    expect((await rejection(converge())).name).to.equal('InternalError');
    expect(fake!.mocks.s3.commandCalls(s3.PutBucketPolicyCommand)).to.have.length(0);
  });

  it('reads a backup key back into its environment, stamp and part, and nothing else', () => {
    expect(parseBackupKey('envs/dev-2/backups/20261121T030000Z.dump')).to.deep.equal({ env: 'dev-2', stamp: '20261121T030000Z', part: 'dump' });
    expect(parseBackupKey('envs/dev/backups/20261121T030000Z.json')).to.deep.equal({ env: 'dev', stamp: '20261121T030000Z', part: 'manifest' });
    for (const key of ['envs/dev/source/abc.tar.gz', 'envs/dev/backups/20261121T030000Z.sql', 'x/envs/dev/backups/20261121T030000Z.dump', 'envs/dev/backups/2026-11-21.dump']) expect(parseBackupKey(key), key).to.equal(undefined);
  });

  it('refuses when the name is taken between looking and creating (BucketAlreadyExists)', async () => {
    failNext(world, 'CreateBucket', new s3.BucketAlreadyExists({ message: 'The requested bucket name is not available.', $metadata: {} }));
    const err = await rejection(converge());
    expect(err.message).to.match(/another AWS account owns that name/);
  });

  it('gives up with a retry hint when a new bucket never becomes visible', async () => {
    use(slowBucket(24 * 3_600_000));
    const err = await rejection(converge());
    expect(err.message).to.equal('The bucket pillbox-123456789012-eu-west-1 was created but does not answer yet.');
    expect(err.hint).to.match(/again in a minute/);
  });

  it('is observed as missing or present, and throttling passes up to the top level', async () => {
    expect(await observeBucket(storage)).to.equal('missing');
    aBucket(world, storage.bucket);
    expect(await observeBucket(storage)).to.equal('present');
    failNext(world, 'HeadBucket', awsError('SlowDown', 'Please reduce your request rate.'));
    expect((await rejection(observeBucket(storage))).name).to.equal('SlowDown');
  });

  it('waits for a new bucket through a burst of throttled HeadBucket calls (SlowDown)', async () => {
    throttleBurst(world, 'HeadBucket', 3, 'CreateBucket');
    expect((await converge()).found).to.equal('missing');
    expect(world.buckets.get(storage.bucket)!.lifecycle).to.have.length(3);
  });
});
