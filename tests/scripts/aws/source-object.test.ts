import * as s3 from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { storageFor, type Storage } from '../../../scripts/lib/aws/bucket.js';
import { deleteSources, sourceUploaded, uploadSource } from '../../../scripts/lib/aws/source-object.js';
import { sha256Hex } from '../../../scripts/lib/aws/bucket-objects.js';
import { awsError, failNext, rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aBucket, keysUnder, putObject } from '../fakes/fake-s3.js';

const BUCKET = 'pillbox-123456789012-eu-west-1';
const SHA = '3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49';
const body = Buffer.from('tar.gz of the commit\n');
const archive = { sha: SHA, body, sha256: sha256Hex(body), bytes: body.length };

describe('the source archive in the bucket', () => {
  let world: World;
  let fake: FakeAws;
  let storage: Storage;
  useFakeAws((w, f) => {
    world = w;
    fake = f;
    aBucket(world, BUCKET);
    storage = storageFor(fake.s3, world.accountId, world.region);
  });

  it('is uploaded under the commit\'s key in the environment\'s source prefix, tagged as a source, with its digest', async () => {
    const shipped = await uploadSource(storage, 'dev', archive);
    expect(shipped).to.deep.equal({ sha: SHA, key: `envs/dev/source/${SHA}.tar.gz`, sha256: archive.sha256, bytes: archive.bytes });
    const put = fake.mocks.s3.commandCalls(s3.PutObjectCommand)[0]?.args[0].input;
    expect(put).to.deep.include({ Key: shipped.key, ContentType: 'application/gzip', Tagging: 'pillbox-kind=source', Metadata: { sha256: archive.sha256 } });
  });

  it('counts as uploaded only when the same bytes are there under its key', async () => {
    const shipped = await uploadSource(storage, 'dev', archive);
    expect(await sourceUploaded(storage, shipped)).to.equal(true);
    expect(await sourceUploaded(storage, { ...shipped, sha256: 'f'.repeat(64) })).to.equal(false);
    expect(await sourceUploaded(storage, { ...shipped, bytes: shipped.bytes + 1 })).to.equal(false);
    expect(await sourceUploaded(storage, { ...shipped, key: 'envs/dev/source/other.tar.gz' })).to.equal(false);
  });

  it('are all removed with the environment, and nobody else\'s', async () => {
    await uploadSource(storage, 'dev', archive);
    await uploadSource(storage, 'dev', { ...archive, sha: 'a'.repeat(40) });
    putObject(world, BUCKET, `envs/dev-2/source/${SHA}.tar.gz`, body);
    putObject(world, BUCKET, 'envs/dev/backups/20261121T030000Z.dump', body);
    expect(await deleteSources(storage, 'dev')).to.equal(2);
    expect(keysUnder(world, BUCKET, 'envs/')).to.deep.equal(['envs/dev-2/source/3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49.tar.gz', 'envs/dev/backups/20261121T030000Z.dump']);
  });

  it('says to provision once when the bucket is gone, and passes other upload failures through', async () => {
    world.buckets.delete(BUCKET);
    const gone = await rejection(uploadSource(storage, 'dev', archive));
    expect(gone.message).to.equal(`The bucket ${BUCKET} does not exist.`);
    expect(gone.hint).to.equal('Run `npm run provision` once; it creates and configures the bucket.');
    aBucket(world, BUCKET);
    failNext(world, 'PutObject', awsError('InternalError', 'We encountered an internal error.'));
    expect((await rejection(uploadSource(storage, 'dev', archive))).name).to.equal('InternalError');
  });

  it('removes nothing, and fails nothing, when the bucket does not exist yet', async () => {
    world.buckets.delete(BUCKET);
    expect(await deleteSources(storage, 'dev')).to.equal(0);
  });
});
