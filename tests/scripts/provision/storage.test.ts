// provision and the project bucket: the bucket converged, the source shipped, a backup
// before --replace launches, the new box seeded from it (or from --restore), and the
// storage in --plan's cost.
import { gunzipSync } from 'node:zlib';
import * as ec2 from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { parseBackupKey, timeOfStamp } from '../../../scripts/lib/aws/bucket-keys.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { provisionRows } from '../../../scripts/lib/provision/summary.js';
import { liveInstances, rejection, settle, useFakeAws, type FakeAws, type FakeInstance, type World } from '../fakes/fake-aws.js';
import { dataRunner } from '../fakes/fake-data-box.js';
import { aBucket, sha256Base64 } from '../fakes/fake-s3.js';
import { aConfig, aGit, depsFor, SHA } from './fixtures.js';

const BUCKET = 'pillbox-123456789012-eu-west-1';
const SOURCE_KEY = `envs/dev/source/${SHA}.tar.gz`;
const ARCHIVE = Buffer.from(`tar.gz of ${SHA}\n`);

describe('provision and the project bucket', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  const deps = (overrides = {}) => depsFor(fake, overrides);
  /** Backs up a box the way its nightly timer or `npm run backup` does; returns the manifest. */
  const backUp = async (box: FakeInstance, reason = 'manual') => JSON.parse((await dataRunner(world, 'dev', box.box.data)(['/usr/local/sbin/pillbox-backup', reason])).stdout) as { key: string };

  it('creates and hardens the bucket, ships the source archive with its SHA-256, and tells the box both', async () => {
    const result = await provision(aConfig(), deps());
    expect(result.steps.slice(0, 2).map((s) => `${s.action} ${s.resource} ${s.name}`)).to.deep.equal([`create bucket ${BUCKET}`, `create source ${SOURCE_KEY}`]);
    const bucket = world.buckets.get(BUCKET)!;
    expect(bucket.publicAccessBlock?.BlockPublicPolicy).to.equal(true);
    expect(bucket.lifecycle).to.have.length(3);
    const archive = bucket.objects.get(SOURCE_KEY)!;
    expect(archive.body).to.deep.equal(ARCHIVE);
    expect(archive.checksumSha256).to.equal(sha256Base64(ARCHIVE));
    expect(archive.tagging).to.equal('pillbox-kind=source');
    const userData = gunzipSync(Buffer.from(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input.UserData ?? '', 'base64')).toString('utf8');
    expect(userData).to.include(`PILLBOX_BUCKET=${BUCKET}\n`);
    expect(userData).to.include(`PILLBOX_SOURCE_KEY=${SOURCE_KEY}\n`);
    expect(userData).to.include(`PILLBOX_SOURCE_SHA256=${result.source.sha256}\n`);
    expect(result.source.sha256).to.equal(Buffer.from(archive.checksumSha256!, 'base64').toString('hex'));
  });

  it('uploads the source before the box that downloads it is launched', async () => {
    await provision(aConfig(), deps());
    expect(world.log.indexOf('PutObject')).to.be.below(world.log.indexOf('RunInstances'));
  });

  it('lets the instance role reach its own prefix of that bucket', async () => {
    await provision(aConfig(), deps());
    const policy = world.roles.get('pillbox-dev-instance')!.policies.get('pillbox-dev-instance')!;
    expect(policy).to.include(`"arn:aws:s3:::${BUCKET}/envs/dev/source/*"`);
    expect(policy).not.to.include('"s3:*"');
  });

  it('converges the bucket on every provision without creating it again', async () => {
    await provision(aConfig(), deps());
    const again = await provision(aConfig(), deps({ runId: 'run00002' }));
    expect(again.steps[0]).to.include({ action: 'update', resource: 'bucket' });
    expect(world.buckets.size).to.equal(1);
    expect(world.log.filter((c) => c === 'CreateBucket')).to.have.length(1);
  });

  it('names uncommitted changes that stay behind', async () => {
    const d = deps({ git: aGit({ changed: ['app/src/x.ts'], untracked: ['notes.md'] }) });
    await provision(aConfig(), d);
    expect(d.log()).to.include('⚠ 2 uncommitted change(s) do NOT ship, only commit 3f2a1c0 does: app/src/x.ts, notes.md.');
  });

  describe('--plan', () => {
    it('costs the bucket and its storage, touching nothing', async () => {
      const result = await provision(aConfig({ plan: true }), deps());
      expect(world.buckets.size).to.equal(0);
      expect(result.storage).to.deep.include({ bucket: BUCKET, retentionDays: 14, dumpBytes: undefined, keptBytes: ARCHIVE.length * 4 });
      const row = provisionRows(result).find(([label]) => label === 'Storage')?.[1];
      expect(row).to.match(/^~\d+ B kept in s3:\/\/pillbox-123456789012-eu-west-1\/, \$0\.0000\/month at \$0\.023\/GB-month \(no backup yet to size the nightly ones by, kept 14 days; the bucket itself is free\)$/);
    });

    it('sizes the nightly backups by the latest one', async () => {
      await provision(aConfig(), deps());
      const { key } = await backUp(world.instances[0]!);
      const dump = world.buckets.get(BUCKET)!.objects.get(key)!.body.length;
      const result = await provision(aConfig({ plan: true, backupRetentionDays: 30 }), deps());
      expect(result.storage.dumpBytes).to.equal(dump);
      expect(result.storage.keptBytes).to.equal(ARCHIVE.length * 4 + dump * 30);
      expect(result.storage.monthlyUsd).to.be.closeTo((result.storage.keptBytes / 1e9) * 0.023, 1e-12);
    });

    it('shows the backup before the launch and the seed once the new box is ready', async () => {
      await provision(aConfig(), deps());
      const old = world.instances[0]!.id;
      const plan = await provision(aConfig({ plan: true, replace: true }), deps());
      expect(plan.steps.filter((s) => ['backup', 'instance', 'database'].includes(s.resource)).map((s) => `${s.action} ${s.resource} ${s.name}`)).to.deep.equal([`create backup ${old}`, `replace instance ${old}`, `update database from the backup of ${old}`]);
      expect(plan.steps.at(-1)?.detail).to.equal(`once the new app is ready, before ${old} goes`);
      expect(world.instances).to.have.length(1);
    });
  });

  describe('--replace', () => {
    it('backs up the old box before the new one is launched, and retires the old one only after', async () => {
      await provision(aConfig(), deps());
      const old = world.instances[0]!;
      const result = await provision(aConfig({ replace: true }), deps({ runId: 'run00002' }));
      const successor = world.instances[1]!;
      expect(old.box.data.steps).to.deep.equal(['backup']);
      expect(timeOfStamp(parseBackupKey(result.backedUp!)!.stamp).getTime()).to.be.at.most(successor.launchedAt);
      expect(world.buckets.get(BUCKET)!.objects.has(result.backedUp!)).to.equal(true);
      expect(result.replaced).to.equal(old.id);
      await settle(world);
      expect(liveInstances(world)).to.deep.equal([successor]);
    });

    it('seeds the new box from that backup before the old one goes: the data moves with the environment', async () => {
      await provision(aConfig(), deps());
      const old = world.instances[0]!;
      old.box.data.rows = { medications: 42, schema_migrations: 2 };
      const result = await provision(aConfig({ replace: true }), deps({ runId: 'run00002' }));
      const successor = world.instances[1]!;
      expect(successor.box.data.steps).to.deep.equal(['download', 'render', 'stop', 'apply', 'start', 'count', 'cleanup']);
      expect(successor.box.data.rows).to.deep.equal({ medications: 42, schema_migrations: 2 });
      expect(result.restored).to.deep.equal({ key: result.backedUp, rows: { medications: 42, schema_migrations: 2 } });
      expect(world.log.lastIndexOf('TerminateInstances')).to.be.above(world.log.lastIndexOf('SendCommand'));
      expect(provisionRows(result)).to.deep.include(['Replaced', `${old.id} (terminated once the new box was healthy and seeded)`]);
    });

    it('terminates the replacement when seeding it fails, and the old box keeps serving its data', async () => {
      await provision(aConfig(), deps());
      const old = world.instances[0]!;
      world.box.data.failing.apply = { exitCode: 3, stderr: 'ERROR:  role "pillbox_app" does not exist\n' };
      const err = await rejection(provision(aConfig({ replace: true }), deps({ runId: 'run00002' })));
      const successor = world.instances[1]!;
      expect(err.message).to.match(/^The replacement box could not be seeded from envs\/dev\/backups\/\d{8}T\d{6}Z\.dump: The restore failed and was rolled back/);
      expect(err.message).to.match(new RegExp(`\\n${old.id} keeps serving; ${successor.id} was terminated\\.$`));
      await settle(world);
      expect(liveInstances(world)).to.deep.equal([old]);
    });

    it('keeps the old box when its backup fails, launching nothing, and says how to go on without one', async () => {
      await provision(aConfig(), deps());
      world.instances[0]!.box.data.failing.backup = { exitCode: 1, stderr: 'pg_dump: error: connection to server failed\n' };
      const err = await rejection(provision(aConfig({ replace: true }), deps({ runId: 'run00002' })));
      expect(err.message).to.include('pg_dump: error: connection to server failed');
      expect(err.message).to.match(/Nothing was changed\.$/);
      expect(err.hint).to.include('pass --no-backup');
      expect(world.instances).to.have.length(1);
      expect(fake.mocks.ec2.commandCalls(ec2.TerminateInstancesCommand)).to.have.length(0);
    });

    it('with --no-backup, neither backs up nor seeds: the new box starts empty', async () => {
      await provision(aConfig(), deps());
      const old = world.instances[0]!;
      const result = await provision(aConfig({ replace: true, noBackup: true }), deps({ runId: 'run00002' }));
      expect(old.box.data.steps).to.deep.equal([]);
      expect(world.instances[1]!.box.data.steps).to.deep.equal([]);
      expect(result.steps.map((s) => s.resource)).to.not.include.members(['backup', 'database']);
      expect(result.restored).to.equal(undefined);
    });

    it('replaces a box whose SSM agent is lost without a backup, and says the new box starts empty', async () => {
      await provision(aConfig(), deps());
      const old = world.instances[0]!;
      old.box.agentLost = true;
      const d = deps({ runId: 'run00002' });
      const result = await provision(aConfig({ replace: true }), d);
      expect(result.backedUp).to.equal(undefined);
      expect(result.restored).to.equal(undefined);
      expect(d.log()).to.include(`${old.id} does not answer through SSM, so it goes without a backup.`);
      expect(d.log()).to.include(`${old.id} took no backup, so ${world.instances[1]!.id} starts with an empty database.`);
    });
  });

  describe('--restore', () => {
    it('seeds a new box from the latest backup once its app is ready, and reports the rows', async () => {
      await provision(aConfig(), deps());
      const old = world.instances[0]!;
      old.box.data.rows = { medications: 5, schema_migrations: 1 };
      const { key } = await backUp(old, 'teardown');
      old.state = 'terminated';
      const result = await provision(aConfig({ restore: 'latest' }), deps({ runId: 'run00002' }));
      expect(world.instances[1]!.box.data.steps).to.deep.equal(['download', 'render', 'stop', 'apply', 'start', 'count', 'cleanup']);
      expect(result.restored).to.deep.equal({ key, rows: { medications: 5, schema_migrations: 1 } });
      expect(result.steps.at(-1)).to.deep.include({ resource: 'database', name: 'from latest' });
      expect(provisionRows(result).find(([l]) => l === 'Restored')?.[1]).to.equal(`${key}: medications 5, schema_migrations 1`);
    });

    it('with --replace, carries the old box\'s data over: its backup becomes the latest', async () => {
      await provision(aConfig(), deps());
      const result = await provision(aConfig({ replace: true, restore: 'latest' }), deps({ runId: 'run00002' }));
      expect(result.restored?.key).to.equal(result.backedUp);
    });

    it('refuses a backup that does not exist before creating anything', async () => {
      const err = await rejection(provision(aConfig({ restore: '20260101T000000Z' }), deps()));
      expect(err.message).to.equal('There is no backup envs/dev/backups/20260101T000000Z.dump in s3://pillbox-123456789012-eu-west-1.');
      expect(world.instances).to.deep.equal([]);
      expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)).to.have.length(0);
    });

    it('refuses to overwrite a box that keeps running', async () => {
      await provision(aConfig(), deps());
      await backUp(world.instances[0]!);
      const err = await rejection(provision(aConfig({ restore: 'latest' }), deps({ runId: 'run00002' })));
      expect(err.message).to.equal('--restore seeds a new box, and the box of dev keeps running.');
      expect(err.hint).to.equal('Restore into it with `npm run restore -- --from latest`, or add --replace.');
    });
  });

  it('stops with the fix when the bucket belongs to another account', async () => {
    aBucket(world, BUCKET, '999999999999');
    const err = await rejection(provision(aConfig(), deps()));
    expect(err.message).to.match(/another AWS account owns that name/);
    expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)).to.have.length(0);
    expect(world.buckets.get(BUCKET)!.objects.size).to.equal(0);
  });
});
