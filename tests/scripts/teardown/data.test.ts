// teardown and the environment's data: a final backup while the box answers, the source
// archives removed, the backups kept unless --delete-backups; the same for every
// environment of an --all-expired sweep.
import * as ec2 from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { backupsPrefix, parseBackupKey, sourcePrefix, timeOfStamp } from '../../../scripts/lib/aws/bucket-keys.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { teardownEnvironment, teardownExpired } from '../../../scripts/lib/teardown/run.js';
import { teardownRows } from '../../../scripts/lib/teardown/summary.js';
import { rejection, settle, useFakeAws, type FakeAws, type FakeInstance, type World } from '../fakes/fake-aws.js';
import { dataRunner } from '../fakes/fake-data-box.js';
import { keysUnder } from '../fakes/fake-s3.js';
import { aConfig, depsFor } from '../provision/fixtures.js';
import { teardownDeps } from './fixtures.js';

const BUCKET = 'pillbox-123456789012-eu-west-1';

describe('teardown and the data', () => {
  let world: World;
  let fake: FakeAws;
  let box: FakeInstance;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  beforeEach(async () => {
    await provision(aConfig(), depsFor(fake));
    box = world.instances[0]!;
  });
  const under = (prefix: string) => keysUnder(world, BUCKET, prefix);

  it('takes a final backup while the box still runs, removes the source archives and keeps the backups', async () => {
    const result = await teardownEnvironment('dev', teardownDeps(fake));
    expect(box.box.data.steps).to.deep.equal(['backup']);
    expect(result.finalBackup).to.match(/^envs\/dev\/backups\/\d{8}T\d{6}Z\.dump$/);
    expect(timeOfStamp(parseBackupKey(result.finalBackup!)!.stamp).getTime()).to.be.at.most(box.terminatingAt!);
    expect(under(sourcePrefix('dev'))).to.deep.equal([]);
    expect(under(backupsPrefix('dev'))).to.have.length(2);
    expect(result.removed.map((s) => s.resource)).to.deep.equal(['instance', 'expiry', 'scheduler-role', 'security-group', 'instance-profile', 'role', 'secrets', 'source']);
    expect(teardownRows([result])[0]![1]).to.match(/; final backup envs\/dev\/backups\/\d{8}T\d{6}Z\.dump; kept backups envs\/dev\/backups\/ \(2 object\(s\); --delete-backups removes them\); the bucket pillbox-123456789012-eu-west-1 stays \(other environments use it\)$/);
  });

  it('asks once, naming the final backup', async () => {
    const deps = teardownDeps(fake);
    await teardownEnvironment('dev', deps);
    expect(deps.questions[0]?.split('\n')[0]).to.equal('Remove 8 resource group(s) of environment "dev" after a final backup:');
  });

  it('deletes the backups too with --delete-backups (taking no final backup to delete), and says so when asking', async () => {
    await dataRunner(world, 'dev', box.box.data)(['/usr/local/sbin/pillbox-backup', 'manual']);
    box.box.data.steps.length = 0;
    const deps = teardownDeps(fake);
    const result = await teardownEnvironment('dev', deps, { finalBackup: true, deleteBackups: true });
    expect(box.box.data.steps).to.deep.equal([]);
    const lines = deps.questions[0]?.split('\n') ?? [];
    expect(lines[0]).to.equal('Remove 9 resource group(s) of environment "dev":');
    expect(lines.at(-3)).to.equal('  - backups envs/dev/backups/ (2 object(s))');
    expect(lines.at(-2)).to.equal("The bucket pillbox-123456789012-eu-west-1 stays (other environments use it); this environment's backups go.");
    expect(result.removed.map((s) => `${s.resource} ${s.detail ?? ''}`).slice(-2)).to.deep.equal(['source 1 archive(s)', 'backups 2 object(s)']);
    expect(under('envs/')).to.deep.equal([]);
  });

  it('removes nothing when the final backup fails, and says how to go on without it', async () => {
    box.box.data.failing.backup = { exitCode: 1, stderr: 'pg_dump: error: connection to server failed\n' };
    const err = await rejection(teardownEnvironment('dev', teardownDeps(fake)));
    expect(err.message).to.match(/pg_dump: error: connection to server failed\nNothing was changed\.$/);
    expect(err.hint).to.include('pass --no-backup');
    expect(fake.mocks.ec2.commandCalls(ec2.TerminateInstancesCommand)).to.have.length(0);
    expect(under(sourcePrefix('dev'))).to.have.length(1);
  });

  it('skips the final backup with --no-backup', async () => {
    const result = await teardownEnvironment('dev', teardownDeps(fake), { finalBackup: false, deleteBackups: false });
    expect(box.box.data.steps).to.deep.equal([]);
    expect(result.finalBackup).to.equal(undefined);
    expect(under('envs/dev/')).to.deep.equal([]);
  });

  it('goes on without a backup when the box’s SSM agent is lost (ConnectionLost)', async () => {
    box.box.agentLost = true;
    const deps = teardownDeps(fake);
    const result = await teardownEnvironment('dev', deps);
    expect(result.finalBackup).to.equal(undefined);
    expect(box.box.data.steps).to.deep.equal([]);
    expect(deps.log()).to.include(`${box.id} does not answer through SSM, so it goes without a backup.`);
    await settle(world);
    expect(box.state).to.equal('terminated');
  });

  it('reports the kept backups and changes nothing on a second run', async () => {
    await teardownEnvironment('dev', teardownDeps(fake));
    const again = await teardownEnvironment('dev', teardownDeps(fake));
    expect(again.removed).to.deep.equal([]);
    expect(again.kept?.map((s) => s.resource)).to.deep.equal(['backups']);
    expect(under(backupsPrefix('dev'))).to.have.length(2);
  });

  describe('--all-expired', () => {
    it('takes each expired environment’s final backup while its box answers, and goes on past one whose backup fails', async () => {
      await provision(aConfig({ env: 'alpha', ttlHours: 1 }), depsFor(fake, { runId: 'run00002' }));
      await provision(aConfig({ env: 'bravo', ttlHours: 1 }), depsFor(fake, { runId: 'run00003' }));
      const [alpha, bravo] = world.instances.slice(1);
      alpha!.box.data.failing.backup = { exitCode: 1, stderr: 'pg_dump: error: connection to server failed\n' };
      // Past ExpiresAt (1 h) but before the off-box guard fires: the boxes still run.
      await settle(world, 3_600_000 + 10 * 60_000);
      const sweep = await teardownExpired(teardownDeps(fake));
      expect(sweep.results.map((r) => r.env)).to.deep.equal(['bravo']);
      expect(sweep.results[0]!.finalBackup).to.match(/^envs\/bravo\/backups\/\d{8}T\d{6}Z\.dump$/);
      expect(bravo!.box.data.steps).to.deep.equal(['backup']);
      expect(sweep.failures.map((f) => f.env)).to.deep.equal(['alpha']);
      expect(sweep.failures[0]!.reason).to.match(/pg_dump: error: connection to server failed\nNothing was changed\.$/);
      expect(alpha!.state).to.equal('running');
      expect(under(sourcePrefix('alpha'))).to.have.length(1);
      expect(under(sourcePrefix('bravo'))).to.deep.equal([]);
      expect(box.state).to.equal('running');
    });

    it('sweeps without final backups with --no-backup', async () => {
      await provision(aConfig({ env: 'alpha', ttlHours: 1 }), depsFor(fake, { runId: 'run00002' }));
      await settle(world, 2 * 3_600_000);
      const sweep = await teardownExpired(teardownDeps(fake), { finalBackup: false, deleteBackups: false });
      expect(sweep.results.map((r) => [r.env, r.finalBackup])).to.deep.equal([['alpha', undefined]]);
      expect(world.instances[1]!.box.data.steps).to.deep.equal([]);
    });
  });
});
