// teardown and the environment's data: a final backup while the box answers, the source
// archives removed, the backups kept unless --delete-backups.
import * as ec2 from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { provision } from '../../../scripts/lib/provision/run.js';
import { teardownEnvironment } from '../../../scripts/lib/teardown/run.js';
import { teardownRows } from '../../../scripts/lib/teardown/summary.js';
import { aWorld, fakeAws, rejection, type FakeAws, type World } from '../fakes/fake-aws.js';
import { dataBox, type DataBox } from '../fakes/fake-data-box.js';
import { anS3World, type S3World } from '../fakes/fake-s3.js';
import { aConfig, depsFor } from '../provision/fixtures.js';
import { teardownDeps } from './fixtures.js';

const BUCKET = 'pillbox-123456789012-eu-west-1';
const keysUnder = (s3: S3World, prefix: string) => [...(s3.buckets.get(BUCKET)?.objects.keys() ?? [])].filter((k) => k.startsWith(prefix));

describe('teardown and the data', () => {
  let world: World;
  let fake: FakeAws;
  let s3World: S3World;
  let box: DataBox;
  beforeEach(async () => {
    world = aWorld();
    fake = fakeAws(world);
    s3World = anS3World();
    box = dataBox(s3World, { env: 'dev', bucket: BUCKET });
    world.box.run = box.script;
    await provision(aConfig(), depsFor(fake, {}, s3World));
  });
  afterEach(() => fake.restore());

  it('takes a final backup while the box still runs, removes the source archives and keeps the backups', async () => {
    const states: string[] = [];
    world.box.run = (script) => (script.includes('pillbox-backup') && states.push(world.instances[0]!.state), box.script(script));
    const result = await teardownEnvironment('dev', teardownDeps(fake, {}, s3World));
    expect(states).to.deep.equal(['running']);
    expect(result.finalBackup).to.match(/^envs\/dev\/backups\/\d{8}T\d{6}Z\.dump$/);
    expect(keysUnder(s3World, 'envs/dev/source/')).to.deep.equal([]);
    expect(keysUnder(s3World, 'envs/dev/backups/')).to.have.length(2);
    expect(result.removed.map((s) => s.resource)).to.deep.equal(['instance', 'security-group', 'instance-profile', 'role', 'secrets', 'source']);
    expect(teardownRows([result])[0]![1]).to.match(/; final backup envs\/dev\/backups\/\d{8}T\d{6}Z\.dump; kept backups envs\/dev\/backups\/ \(2 object\(s\); --delete-backups removes them\)$/);
  });

  it('deletes the backups too with --delete-backups (taking no final backup to delete), and says so when asking', async () => {
    await box.runner(['/usr/local/sbin/pillbox-backup', 'manual']);
    box.steps.length = 0;
    const deps = teardownDeps(fake, {}, s3World);
    const result = await teardownEnvironment('dev', deps, { finalBackup: true, deleteBackups: true });
    expect(box.steps).to.deep.equal([]);
    expect(deps.questions).to.deep.equal(['Remove 7 resource group(s) of environment "dev", its backups included?']);
    expect(result.removed.map((s) => `${s.resource} ${s.detail ?? ''}`).slice(-2)).to.deep.equal(['source 1 archive(s)', 'backups 2 object(s)']);
    expect(keysUnder(s3World, 'envs/')).to.deep.equal([]);
  });

  it('removes nothing when the final backup fails, and says how to go on without it', async () => {
    box.failing.backup = { exitCode: 1, stdout: '', stderr: 'pg_dump: error: connection to server failed\n' };
    const err = await rejection(teardownEnvironment('dev', teardownDeps(fake, {}, s3World)));
    expect(err.message).to.match(/pg_dump: error: connection to server failed\nNothing was changed\.$/);
    expect(err.hint).to.include('pass --no-backup');
    expect(fake.mocks.ec2.commandCalls(ec2.TerminateInstancesCommand)).to.have.length(0);
    expect(keysUnder(s3World, 'envs/dev/source/')).to.have.length(1);
  });

  it('skips the final backup with --no-backup', async () => {
    const result = await teardownEnvironment('dev', teardownDeps(fake, {}, s3World), { finalBackup: false, deleteBackups: false });
    expect(box.steps).to.deep.equal([]);
    expect(result.finalBackup).to.equal(undefined);
    expect(keysUnder(s3World, 'envs/dev/')).to.deep.equal([]);
  });

  it('goes on without a backup when the box does not answer', async () => {
    fake.mocks.ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [] });
    const result = await teardownEnvironment('dev', teardownDeps(fake, {}, s3World));
    expect(result.finalBackup).to.equal(undefined);
    expect(box.steps).to.deep.equal([]);
    expect(world.instances[0]!.state).to.equal('terminated');
  });

  it('reports the kept backups and changes nothing on a second run', async () => {
    await teardownEnvironment('dev', teardownDeps(fake, {}, s3World));
    const again = await teardownEnvironment('dev', teardownDeps(fake, {}, s3World));
    expect(again.removed).to.deep.equal([]);
    expect(again.kept?.map((s) => s.resource)).to.deep.equal(['backups']);
    expect(keysUnder(s3World, 'envs/dev/backups/')).to.have.length(2);
  });
});
