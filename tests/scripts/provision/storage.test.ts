// provision and the project bucket: the bucket converged, the source shipped, a backup
// before --replace, a restore that seeds the new box, and the storage in --plan's cost.
import * as ec2 from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { provision } from '../../../scripts/lib/provision/run.js';
import { provisionRows } from '../../../scripts/lib/provision/summary.js';
import { aWorld, fakeAws, rejection, type FakeAws, type World } from '../fakes/fake-aws.js';
import { dataBox, type DataBox } from '../fakes/fake-data-box.js';
import { anS3World, sha256Base64, type S3World } from '../fakes/fake-s3.js';
import { aConfig, aGit, depsFor, SHA } from './fixtures.js';

const BUCKET = 'pillbox-123456789012-eu-west-1';
const SOURCE_KEY = `envs/dev/source/${SHA}.tar.gz`;
const ARCHIVE = Buffer.from(`tar.gz of ${SHA}\n`);

describe('provision and the project bucket', () => {
  let world: World;
  let fake: FakeAws;
  let s3World: S3World;
  let box: DataBox;
  const deps = (overrides = {}) => depsFor(fake, overrides, s3World);
  beforeEach(() => {
    world = aWorld();
    fake = fakeAws(world);
    s3World = anS3World();
    box = dataBox(s3World, { env: 'dev', bucket: BUCKET });
    world.box.run = box.script;
  });
  afterEach(() => fake.restore());

  it('creates and hardens the bucket, ships the source archive with its SHA-256, and tells the box both', async () => {
    const result = await provision(aConfig(), deps());
    expect(result.steps.slice(0, 2).map((s) => `${s.action} ${s.resource} ${s.name}`)).to.deep.equal([`create bucket ${BUCKET}`, `create source ${SOURCE_KEY}`]);
    const bucket = s3World.buckets.get(BUCKET)!;
    expect(bucket.publicAccessBlock?.BlockPublicPolicy).to.equal(true);
    expect(bucket.lifecycle).to.have.length(3);
    const archive = bucket.objects.get(SOURCE_KEY)!;
    expect(archive.body).to.deep.equal(ARCHIVE);
    expect(archive.checksumSha256).to.equal(sha256Base64(ARCHIVE));
    expect(archive.tagging).to.equal('pillbox-kind=source');
    const userData = Buffer.from(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input.UserData ?? '', 'base64').toString('utf8');
    expect(userData).to.include(`PILLBOX_BUCKET=${BUCKET}\n`);
    expect(userData).to.include(`PILLBOX_SOURCE_KEY=${SOURCE_KEY}\n`);
    expect(userData).to.include(`PILLBOX_SOURCE_SHA256=${result.source.sha256}\n`);
    expect(result.source.sha256).to.equal(Buffer.from(archive.checksumSha256!, 'base64').toString('hex'));
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
    expect(s3World.buckets.size).to.equal(1);
  });

  it('names uncommitted changes that stay behind', async () => {
    const d = deps({ git: aGit({ changed: ['app/src/x.ts'], untracked: ['notes.md'] }) });
    await provision(aConfig(), d);
    expect(d.log()).to.include('⚠ 2 uncommitted change(s) do NOT ship, only commit 3f2a1c0 does: app/src/x.ts, notes.md.');
  });

  describe('--plan', () => {
    it('costs the bucket and its storage, touching nothing', async () => {
      const result = await provision(aConfig({ plan: true }), deps());
      expect(s3World.buckets.size).to.equal(0);
      expect(result.storage).to.deep.include({ bucket: BUCKET, retentionDays: 14, dumpBytes: undefined, keptBytes: ARCHIVE.length * 4 });
      const row = provisionRows(result).find(([label]) => label === 'Storage')?.[1];
      expect(row).to.match(/^~\d+ B kept in s3:\/\/pillbox-123456789012-eu-west-1\/, \$0\.0000\/month at \$0\.023\/GB-month \(no backup yet to size the nightly ones by, kept 14 days; the bucket itself is free\)$/);
    });

    it('sizes the nightly backups by the latest one', async () => {
      await provision(aConfig(), deps());
      await box.runner(['/usr/local/sbin/pillbox-backup', 'manual']);
      const dump = [...s3World.buckets.get(BUCKET)!.objects].find(([k]) => k.endsWith('.dump'))![1].body.length;
      const result = await provision(aConfig({ plan: true, backupRetentionDays: 30 }), deps());
      expect(result.storage.dumpBytes).to.equal(dump);
      expect(result.storage.keptBytes).to.equal(ARCHIVE.length * 4 + dump * 30);
      expect(result.storage.monthlyUsd).to.be.closeTo((result.storage.keptBytes / 1e9) * 0.023, 1e-12);
    });
  });

  describe('--replace', () => {
    it('backs up the old box while it still runs, then replaces it', async () => {
      await provision(aConfig(), deps());
      const old = world.instances[0]!;
      const stateAtBackup: string[] = [];
      world.box.run = (script) => {
        if (script.includes('pillbox-backup')) stateAtBackup.push(old.state);
        return box.script(script);
      };
      const result = await provision(aConfig({ replace: true }), deps({ runId: 'run00002' }));
      expect(stateAtBackup).to.deep.equal(['running']);
      expect(old.state).to.equal('terminated');
      expect(result.backedUp).to.match(/^envs\/dev\/backups\/\d{8}T\d{6}Z\.dump$/);
      expect(s3World.buckets.get(BUCKET)!.objects.has(result.backedUp!)).to.equal(true);
      expect(result.steps.map((s) => s.resource).slice(-2)).to.deep.equal(['backup', 'instance']);
    });

    it('keeps the old box when its backup fails, and says how to go on without one', async () => {
      await provision(aConfig(), deps());
      box.failing.backup = { exitCode: 1, stdout: '', stderr: 'pg_dump: error: connection to server failed\n' };
      const err = await rejection(provision(aConfig({ replace: true }), deps({ runId: 'run00002' })));
      expect(err.message).to.include('pg_dump: error: connection to server failed');
      expect(err.hint).to.include("pass --no-backup");
    expect(err.message).to.match(/Nothing was changed\.$/);
      expect(world.instances.filter((i) => i.state === 'running')).to.have.length(1);
      expect(fake.mocks.ec2.commandCalls(ec2.TerminateInstancesCommand)).to.have.length(0);
    });

    it('skips the backup with --no-backup, and for a box that does not answer', async () => {
      await provision(aConfig(), deps());
      await provision(aConfig({ replace: true, noBackup: true }), deps({ runId: 'run00002' }));
      expect(box.steps).to.deep.equal([]);
      fake.mocks.ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ PingStatus: 'ConnectionLost' }] });
      const d = deps({ runId: 'run00003', noWait: true });
      const result = await provision(aConfig({ replace: true, noWait: true }), d);
      expect(result.backedUp).to.equal(undefined);
      expect(d.log()).to.match(/does not answer through SSM, so it goes without a backup/);
    });
  });

  describe('--restore', () => {
    it('seeds a new box from the latest backup once its app is ready, and reports the rows', async () => {
      await provision(aConfig(), deps());
      await box.runner(['/usr/local/sbin/pillbox-backup', 'teardown']);
      world.instances[0]!.state = 'terminated';
      box.steps.length = 0;
      const result = await provision(aConfig({ restore: 'latest' }), deps({ runId: 'run00002' }));
      expect(box.steps).to.deep.equal(['download', 'render', 'stop', 'apply', 'start', 'count', 'cleanup']);
      expect(result.restored).to.deep.equal({ key: 'envs/dev/backups/20261121T100100Z.dump', rows: { medications: 3, schema_migrations: 1 } });
      expect(result.steps.at(-1)).to.deep.include({ resource: 'database', name: 'from latest' });
      expect(provisionRows(result).find(([l]) => l === 'Restored')?.[1]).to.equal('envs/dev/backups/20261121T100100Z.dump: medications 3, schema_migrations 1');
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
      await box.runner(['/usr/local/sbin/pillbox-backup', 'manual']);
      const err = await rejection(provision(aConfig({ restore: 'latest' }), deps({ runId: 'run00002' })));
      expect(err.message).to.equal('--restore seeds a new box, and the box of dev keeps running.');
      expect(err.hint).to.equal('Restore into it with `npm run restore -- --from latest`, or add --replace.');
    });
  });

  it('stops with the fix when the bucket belongs to another account', async () => {
    s3World.buckets.set(BUCKET, { owner: '999999999999', region: 'eu-west-1', objects: new Map(), invisibleFor: 0 });
    const err = await rejection(provision(aConfig(), deps()));
    expect(err.message).to.match(/another AWS account owns that name/);
    expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)).to.have.length(0);
    expect(s3World.buckets.get(BUCKET)!.objects.size).to.equal(0);
  });
});
