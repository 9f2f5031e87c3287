import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { listBackups, resolveBackup, selectBackup } from '../../../scripts/lib/aws/backup-catalog.js';
import { backupKeys } from '../../../scripts/lib/aws/bucket-keys.js';
import { putChecked } from '../../../scripts/lib/aws/bucket-objects.js';
import { storageFor, type Storage } from '../../../scripts/lib/aws/bucket.js';
import type { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { aWorld, awsError, failNext, fakeAws, rejection, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aBucket, putObject, sha256Base64 } from '../fakes/fake-s3.js';

const BUCKET = 'pillbox-123456789012-eu-west-1';

/** A backup as the box's script writes it: the dump (with its SHA-256), then the manifest. */
function aBackup(world: World, env: string, stamp: string, { manifest = true, body = `PGDMP ${env} ${stamp}` } = {}): { key: string; sha256: string } {
  const keys = backupKeys(env, stamp);
  const bytes = Buffer.from(body);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  putObject(world, BUCKET, keys.dump, bytes, { metadata: { sha256 }, checksumSha256: sha256Base64(bytes), tagging: 'pillbox-kind=backup' });
  if (manifest) putObject(world, BUCKET, keys.manifest, JSON.stringify({ key: keys.dump, sha256, bytes: bytes.length, reason: 'nightly', commit: 'c'.repeat(40) }));
  return { key: keys.dump, sha256 };
}

describe('the backups in the bucket', () => {
  let world: World;
  let fake: FakeAws;
  let storage: Storage;
  beforeEach(() => {
    world = aWorld({ pageSize: 2 });
    fake = fakeAws(world);
    storage = storageFor(fake.s3, world.accountId, world.region);
    aBucket(world, BUCKET);
  });
  afterEach(() => fake.restore());

  it('pairs each dump with its manifest across listing pages, newest first, per environment', async () => {
    aBackup(world, 'dev', '20261119T030000Z');
    aBackup(world, 'dev', '20261121T030000Z');
    aBackup(world, 'prod', '20261120T030000Z');
    putObject(world, BUCKET, 'envs/dev/source/abc.tar.gz', 'tar');
    putObject(world, BUCKET, 'envs/dev/backups/notes.txt', 'hand-made');
    const all = await listBackups(storage);
    expect(all.map((b) => `${b.env} ${b.stamp} ${b.complete}`)).to.deep.equal(['dev 20261121T030000Z true', 'prod 20261120T030000Z true', 'dev 20261119T030000Z true']);
    expect(all[0]!.at.toISOString()).to.equal('2026-11-21T03:00:00.000Z');
    expect((await listBackups(storage, 'prod')).map((b) => b.key)).to.deep.equal(['envs/prod/backups/20261120T030000Z.dump']);
  });

  it('lists nothing, and fails nothing, when the bucket does not exist yet', async () => {
    world.buckets.clear();
    expect(await listBackups(storage)).to.deep.equal([]);
  });

  describe('an interrupted upload', () => {
    it('is never latest: a dump whose manifest never arrived is listed as incomplete and skipped', async () => {
      const good = aBackup(world, 'dev', '20261120T030000Z');
      aBackup(world, 'dev', '20261121T030000Z', { manifest: false });
      const entries = await listBackups(storage, 'dev');
      expect(entries.map((e) => e.complete)).to.deep.equal([false, true]);
      expect((await resolveBackup(storage, 'dev', 'latest')).key).to.equal(good.key);
    });

    it('that failed on its PutObject leaves no object behind (S3 writes whole objects or none)', async () => {
      failNext(world, 'PutObject', awsError('RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.'));
      const err = await rejection(putChecked(storage, { key: 'envs/dev/backups/20261121T030000Z.dump', body: Buffer.from('dump'), kind: 'backup', contentType: 'application/octet-stream' }));
      expect(err.name).to.equal('RequestTimeout');
      expect(await listBackups(storage, 'dev')).to.deep.equal([]);
    });

    it('cannot land damaged: every upload sends the SHA-256 of its body, which S3 checks (BadDigest otherwise)', async () => {
      const body = Buffer.from('tar.gz bytes');
      const sha256 = await putChecked(storage, { key: 'envs/dev/source/x.tar.gz', body, kind: 'source', contentType: 'application/gzip' });
      const stored = world.buckets.get(BUCKET)!.objects.get('envs/dev/source/x.tar.gz')!;
      expect(stored.checksumSha256).to.equal(sha256Base64(body));
      expect(stored.metadata).to.deep.equal({ sha256 });
      expect(stored.tagging).to.equal('pillbox-kind=source');
    });

    it('refuses to restore a named backup that has no manifest', async () => {
      aBackup(world, 'dev', '20261121T030000Z', { manifest: false });
      const err = await rejection(resolveBackup(storage, 'dev', '20261121T030000Z'));
      expect(err.message).to.equal('The backup envs/dev/backups/20261121T030000Z.dump is incomplete: its manifest is missing, so its upload never finished.');
    });
  });

  describe('a checksum mismatch makes the restore refuse', () => {
    it('when S3 holds another SHA-256 than the manifest (the dump was replaced)', async () => {
      const { key } = aBackup(world, 'dev', '20261121T030000Z');
      const object = world.buckets.get(BUCKET)!.objects.get(key)!;
      object.checksumSha256 = sha256Base64(Buffer.from('something else'));
      const err = await rejection(resolveBackup(storage, 'dev', 'latest'));
      expect(err.message).to.match(/^Refusing to restore envs\/dev\/backups\/20261121T030000Z\.dump: checksum mismatch: the manifest says SHA-256 [0-9a-f]{64}, S3 holds [0-9a-f]{64}\.$/);
    });

    it('when the recorded digest in the metadata disagrees', async () => {
      const { key } = aBackup(world, 'dev', '20261121T030000Z');
      world.buckets.get(BUCKET)!.objects.get(key)!.metadata = { sha256: '0'.repeat(64) };
      expect((await rejection(resolveBackup(storage, 'dev', 'latest'))).message).to.include('checksum mismatch');
    });

    it('when S3 holds no SHA-256 at all (not uploaded by pillbox)', async () => {
      const { key } = aBackup(world, 'dev', '20261121T030000Z');
      delete world.buckets.get(BUCKET)!.objects.get(key)!.checksumSha256;
      expect((await rejection(resolveBackup(storage, 'dev', 'latest'))).message).to.include('S3 holds no SHA-256 for it');
    });

    it('when the manifest names another size or key', async () => {
      aBackup(world, 'dev', '20261121T030000Z', { body: 'PGDMP a longer body than the manifest says' });
      const manifestKey = backupKeys('dev', '20261121T030000Z').manifest;
      const manifest = JSON.parse(world.buckets.get(BUCKET)!.objects.get(manifestKey)!.body.toString()) as { bytes: number };
      putObject(world, BUCKET, manifestKey, JSON.stringify({ ...manifest, bytes: 3 }));
      expect((await rejection(resolveBackup(storage, 'dev', 'latest'))).message).to.match(/its manifest describes .* \(3 bytes\), the bucket holds \d+ bytes/);
    });

    it('when the manifest is not one pillbox wrote', async () => {
      aBackup(world, 'dev', '20261121T030000Z');
      putObject(world, BUCKET, backupKeys('dev', '20261121T030000Z').manifest, '{"sha256":"zz"}');
      expect((await rejection(resolveBackup(storage, 'dev', 'latest'))).message).to.match(/is not one pillbox wrote/);
    });
  });

  it('counts a manifest without its dump as incomplete, saying the dump is missing', async () => {
    aBackup(world, 'dev', '20261121T030000Z');
    world.buckets.get(BUCKET)!.objects.delete(backupKeys('dev', '20261121T030000Z').dump);
    expect((await listBackups(storage)).map((b) => b.complete)).to.deep.equal([false]);
    const err = await rejection(resolveBackup(storage, 'dev', '20261121T030000Z'));
    expect(err.message).to.equal('The backup envs/dev/backups/20261121T030000Z.dump is incomplete: its dump is missing, so its upload never finished.');
    expect(err.hint).to.equal('Pick a complete one from `npm run backups`.');
  });

  it('refuses a manifest that names another dump of the same size, saying why and what to do', async () => {
    aBackup(world, 'dev', '20261121T030000Z', { body: 'PGDMP dev 20261121T030000Z' });
    const manifestKey = backupKeys('dev', '20261121T030000Z').manifest;
    const manifest = JSON.parse(world.buckets.get(BUCKET)!.objects.get(manifestKey)!.body.toString()) as Record<string, unknown>;
    putObject(world, BUCKET, manifestKey, JSON.stringify({ ...manifest, key: backupKeys('dev', '20261120T030000Z').dump }));
    const err = await rejection(resolveBackup(storage, 'dev', 'latest'));
    expect(err.message).to.match(/^Refusing to restore envs\/dev\/backups\/20261121T030000Z\.dump: its manifest describes envs\/dev\/backups\/20261120T030000Z\.dump/);
    expect(err.hint).to.equal('The backup is damaged or was replaced by hand; pick another from `npm run backups`.');
  });

  it('quotes the first 120 characters of a manifest that is not one pillbox wrote, and says to pick another', async () => {
    aBackup(world, 'dev', '20261121T030000Z');
    const text = `{"note":"${'x'.repeat(200)}"}`;
    putObject(world, BUCKET, backupKeys('dev', '20261121T030000Z').manifest, text);
    const err = await rejection(resolveBackup(storage, 'dev', 'latest'));
    expect(err.message).to.equal(`The manifest envs/dev/backups/20261121T030000Z.json is not one pillbox wrote: ${JSON.stringify(text.slice(0, 120))}`);
    expect(err.hint).to.equal('Pick another backup from `npm run backups`.');
  });

  it('verifies a whole backup and says what it holds', async () => {
    const { key, sha256 } = aBackup(world, 'dev', '20261121T030000Z');
    expect(await resolveBackup(storage, 'dev', 'latest')).to.deep.include({ key, sha256, reason: 'nightly', commit: 'c'.repeat(40), complete: true });
  });

  describe('--from', () => {
    const entries = [
      { env: 'dev', stamp: '20261121T030000Z', at: new Date(), key: 'envs/dev/backups/20261121T030000Z.dump', bytes: 10, complete: true },
      { env: 'dev', stamp: '20261120T030000Z', at: new Date(), key: 'envs/dev/backups/20261120T030000Z.dump', bytes: 10, complete: true },
    ];

    it('picks as latest the newest complete backup of this environment, past other environments\' and incomplete ones', () => {
      const mixed = [
        { env: 'prod', stamp: '20261122T030000Z', at: new Date(), key: 'envs/prod/backups/20261122T030000Z.dump', bytes: 10, complete: true },
        { env: 'dev', stamp: '20261121T040000Z', at: new Date(), key: 'envs/dev/backups/20261121T040000Z.dump', bytes: 0, complete: false },
        ...entries,
      ];
      expect(selectBackup(mixed, 'dev', 'latest', BUCKET).key).to.equal('envs/dev/backups/20261121T030000Z.dump');
    });

    it('finds a named time among this environment\'s backups only', () => {
      const same = [{ env: 'prod', stamp: '20261120T030000Z', at: new Date(), key: 'envs/prod/backups/20261120T030000Z.dump', bytes: 10, complete: true }, ...entries];
      expect(selectBackup(same, 'dev', '20261120T030000Z', BUCKET).key).to.equal('envs/dev/backups/20261120T030000Z.dump');
    });

    it('says how to go on after each refusal', () => {
      const hint = (from: string, list = entries) => {
        try {
          selectBackup(list, 'dev', from, BUCKET);
        } catch (err) {
          return (err as OperatorError).hint;
        }
        throw new Error('expected a refusal');
      };
      expect(hint('latest', [])).to.equal('Take one on a running box with `npm run backup`; `npm run backups` lists what exists.');
      expect(hint('yesterday')).to.equal('`npm run backups` lists the backups with their keys.');
      expect(hint('envs/prod/backups/20261120T030000Z.dump')).to.equal('Restore it into prod (--env prod).');
      expect(hint('20261101T030000Z')).to.equal('`npm run backups` lists the backups with their keys.');
    });

    it('takes a time, a file name or the full key', () => {
      for (const from of ['20261120T030000Z', '20261120T030000Z.dump', 'envs/dev/backups/20261120T030000Z.dump']) expect(selectBackup(entries, 'dev', from, BUCKET).stamp, from).to.equal('20261120T030000Z');
    });

    it("refuses another environment's backup, which the box's role cannot read", () => {
      expect(() => selectBackup(entries, 'dev', 'envs/prod/backups/20261120T030000Z.dump', BUCKET)).to.throw(/is a backup of prod, and the box of dev can read only its own backups/);
    });

    it('refuses what is not a backup key, and a backup that does not exist', () => {
      expect(() => selectBackup(entries, 'dev', 'yesterday', BUCKET)).to.throw(/expected latest, or a backup key or time/);
      expect(() => selectBackup(entries, 'dev', '20261101T030000Z', BUCKET)).to.throw(/There is no backup envs\/dev\/backups\/20261101T030000Z\.dump/);
    });

    it('says how to get a first backup when there is none', () => {
      expect(() => selectBackup([], 'dev', 'latest', BUCKET)).to.throw(/Environment dev has no complete backup in s3:\/\/pillbox-123456789012-eu-west-1\/envs\/dev\/backups\//);
    });
  });
});
