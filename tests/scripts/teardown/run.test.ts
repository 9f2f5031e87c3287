import { expect } from 'chai';
import * as ec2 from '@aws-sdk/client-ec2';
import { DeleteParametersCommand } from '@aws-sdk/client-ssm';
import { provision } from '../../../scripts/lib/provision/run.js';
import { findExpiredEnvironments, teardownEnvironment } from '../../../scripts/lib/teardown/run.js';
import { aWorld, awsError, commandNames, failNext, fakeAws, rejection, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from '../provision/fixtures.js';
import { teardownDeps } from './fixtures.js';

/** Nothing of the environment left in the account. */
function expectEmpty(world: World): void {
  expect(world.instances.filter((i) => i.state !== 'terminated'), 'instances').to.deep.equal([]);
  expect(world.groups, 'security groups').to.deep.equal([]);
  expect([...world.roles.keys()], 'roles').to.deep.equal([]);
  expect([...world.profiles.keys()], 'instance profiles').to.deep.equal([]);
  expect([...world.params.keys()], 'parameters').to.deep.equal([]);
}

describe('teardown', () => {
  let world: World;
  let fake: FakeAws;
  beforeEach(() => {
    world = aWorld();
    fake = fakeAws(world);
  });
  afterEach(() => fake.restore());

  it('removes everything a successful provision created and says what it removed', async () => {
    await provision(aConfig(), depsFor(fake));
    const result = await teardownEnvironment('dev', teardownDeps(fake));
    expectEmpty(world);
    expect(result.removed.map((s) => s.resource)).to.deep.equal(['instance', 'security-group', 'instance-profile', 'role', 'secrets']);
    expect(result.removed.at(-1)?.detail).to.equal('8 parameter(s)');
  });

  it('reports nothing left on a second run, and changes nothing', async () => {
    await provision(aConfig(), depsFor(fake));
    await teardownEnvironment('dev', teardownDeps(fake));
    fake.mocks.ec2.resetHistory();
    fake.mocks.ssm.resetHistory();
    fake.mocks.iam.resetHistory();
    const again = await teardownEnvironment('dev', teardownDeps(fake));
    expect(again).to.deep.equal({ env: 'dev', removed: [], aborted: false, kept: [] });
    expect(commandNames(fake).filter((n) => /^(Delete|Terminate|Remove|Put)/.test(n))).to.deep.equal([]);
  });

  const crashPoints = ['CreateInstanceProfile', 'AddRoleToInstanceProfile', 'PutParameter', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'RunInstances'];
  for (const command of crashPoints) {
    it(`cleans up after a provision that crashed at ${command}`, async () => {
      // A crash: the process dies, so nothing is undone (the undo step crashes too).
      failNext(world, command, awsError('ProcessKilled'));
      failNext(world, 'DeleteSecurityGroup', awsError('ProcessKilled'));
      failNext(world, 'RemoveRoleFromInstanceProfile', awsError('ProcessKilled'));
      failNext(world, 'DeleteRolePolicy', awsError('ProcessKilled'));
      failNext(world, 'DeleteParameters', awsError('ProcessKilled'));
      await rejection(provision(aConfig(), depsFor(fake)));
      world.faults.clear();
      world.params.delete('/pillbox/dev/lock');
      await teardownEnvironment('dev', teardownDeps(fake));
      expectEmpty(world);
    });
  }

  it('cleans up after a provision killed while waiting for the box, lock included', async () => {
    world.box.unitState = 'activating';
    world.box.services = [];
    await rejection(provision(aConfig(), depsFor(fake)));
    await teardownEnvironment('dev', teardownDeps(fake));
    expectEmpty(world);
  });

  it('removes the security group after the instance is gone, retrying while the ENI detaches', async () => {
    await provision(aConfig(), depsFor(fake));
    world.eniDetachingFor = 3;
    await teardownEnvironment('dev', teardownDeps(fake));
    expect(fake.mocks.ec2.commandCalls(ec2.DeleteSecurityGroupCommand)).to.have.length(4);
    const terminate = fake.mocks.ec2.commandCalls(ec2.TerminateInstancesCommand)[0]!;
    const firstDelete = fake.mocks.ec2.commandCalls(ec2.DeleteSecurityGroupCommand)[0]!;
    expect(terminate.calledBefore(firstDelete)).to.equal(true);
    expectEmpty(world);
  });

  it('gives up on a security group that stays in use, naming it', async () => {
    await provision(aConfig(), depsFor(fake));
    world.eniDetachingFor = 1000;
    const err = await rejection(teardownEnvironment('dev', teardownDeps(fake, { sgRetry: { attempts: 5, sleep: async () => undefined } })));
    expect(err.message).to.match(/^Security group sg-[0-9a-f]+ is still in use\.$/);
    expect(world.params.has('/pillbox/dev/lock'), 'the lock is released').to.equal(false);
  });

  it('deletes parameters in batches of at most ten', async () => {
    for (let i = 0; i < 23; i++) world.params.set(`/pillbox/dev/extra/${i}`, { value: 'x', type: 'String', tags: [] });
    await teardownEnvironment('dev', teardownDeps(fake));
    const batches = fake.mocks.ssm.commandCalls(DeleteParametersCommand).map((c) => c.args[0].input.Names?.length);
    expect(batches).to.deep.equal([10, 10, 3]);
    expect(world.params.size).to.equal(0);
  });

  it('touches nothing when the operator says no', async () => {
    await provision(aConfig(), depsFor(fake));
    const deps = teardownDeps(fake, { confirm: async () => false });
    const result = await teardownEnvironment('dev', deps);
    expect(result.aborted).to.equal(true);
    expect(world.instances.filter((i) => i.state === 'running')).to.have.length(1);
    expect(world.roles.size).to.equal(1);
  });

  it('asks once, naming the environment', async () => {
    await provision(aConfig(), depsFor(fake));
    const deps = teardownDeps(fake);
    await teardownEnvironment('dev', deps);
    expect(deps.questions).to.deep.equal(['Remove 5 resource group(s) of environment "dev" after a final backup?']);
  });

  it('waits its turn: a provision holding the lock stops the teardown with who holds it', async () => {
    await provision(aConfig(), depsFor(fake));
    world.params.set('/pillbox/dev/lock', { value: JSON.stringify({ holder: 'bob@ci', command: 'provision', since: '2026-11-21T09:59:00Z' }), type: 'String', tags: [] });
    const err = await rejection(teardownEnvironment('dev', teardownDeps(fake)));
    expect(err.message).to.equal('Environment "dev" is locked by bob@ci (provision since 2026-11-21T09:59:00Z).');
    expect(world.instances.filter((i) => i.state === 'running')).to.have.length(1);
  });

  it('leaves other environments alone, even one whose name starts the same', async () => {
    await provision(aConfig({ env: 'dev-2' }), depsFor(fake));
    await provision(aConfig(), depsFor(fake, { runId: 'run00002' }));
    await teardownEnvironment('dev', teardownDeps(fake));
    expect(world.instances.filter((i) => i.state === 'running').map((i) => i.tags.find((t) => t.Key === 'Env')?.Value)).to.deep.equal(['dev-2']);
    expect([...world.roles.keys()]).to.deep.equal(['pillbox-dev-2-instance']);
    expect([...world.params.keys()]).to.have.length(8);
    expect([...world.params.keys()].every((k) => k.startsWith('/pillbox/dev-2/'))).to.equal(true);
  });

  describe('--all-expired', () => {
    it('selects environments past ExpiresAt, from instances or (without one) their security group', async () => {
      await provision(aConfig({ env: 'old', ttlHours: 1 }), depsFor(fake));
      await provision(aConfig({ env: 'fresh', ttlHours: 24 }), depsFor(fake, { runId: 'run00002' }));
      // A provision that crashed after its security group: only the group carries ExpiresAt.
      failNext(world, 'RunInstances', awsError('ProcessKilled'));
      failNext(world, 'DeleteSecurityGroup', awsError('ProcessKilled'));
      await rejection(provision(aConfig({ env: 'crashed', ttlHours: 1 }), depsFor(fake, { runId: 'run00003' })));
      const twoHoursLater = Date.parse('2026-11-21T12:00:00Z');
      expect(await findExpiredEnvironments(fake.clients, twoHoursLater)).to.deep.equal(['crashed', 'old']);
    });

    it('does not select an environment whose group is old but whose live instance is not', async () => {
      await provision(aConfig({ ttlHours: 1 }), depsFor(fake));
      const instance = world.instances[0]!;
      instance.tags = instance.tags.map((t) => (t.Key === 'ExpiresAt' ? { Key: 'ExpiresAt', Value: '2026-11-22T10:00:00Z' } : t));
      expect(await findExpiredEnvironments(fake.clients, Date.parse('2026-11-21T12:00:00Z'))).to.deep.equal([]);
    });
  });
});
