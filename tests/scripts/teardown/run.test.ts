import { expect } from 'chai';
import * as ec2 from '@aws-sdk/client-ec2';
import { DeleteConflictException } from '@aws-sdk/client-iam';
import { DeleteParametersCommand } from '@aws-sdk/client-ssm';
import { bucketName, sourcePrefix } from '../../../scripts/lib/aws/bucket-keys.js';
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';
import { ownerTags } from '../../../scripts/lib/core/names.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { findExpiredEnvironments, sweepFailure, teardownEnvironment, teardownExpired } from '../../../scripts/lib/teardown/run.js';
import { teardownRows } from '../../../scripts/lib/teardown/summary.js';
import { commandNames, failNext, rejection, settle, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { keysUnder } from '../fakes/fake-s3.js';
import { aConfig, depsFor } from '../provision/fixtures.js';
import { teardownDeps } from './fixtures.js';
import { crashPoints, MUTATING, PROVISION_MUTATIONS } from '../provision/mutations.js';

const BUCKET = bucketName('123456789012', 'eu-west-1');

/** What of environment `env` still exists (instances on their way out, and the backups teardown keeps, excluded). */
function leftOf(world: World, env = 'dev'): string[] {
  const own = (tags: { Key?: string; Value?: string }[]) => tags.some((t) => t.Key === 'Env' && t.Value === env);
  return [
    ...world.instances.filter((i) => own(i.tags) && i.state !== 'terminated' && i.state !== 'shutting-down').map((i) => `instance ${i.id}`),
    ...world.groups.filter((g) => g.name === `pillbox-${env}`).map((g) => `group ${g.id}`),
    ...[...world.roles.keys()].filter((r) => r === `pillbox-${env}-instance` || r === `pillbox-${env}-scheduler`).map((r) => `role ${r}`),
    ...[...world.profiles.keys()].filter((p) => p === `pillbox-${env}-instance`).map((p) => `profile ${p}`),
    ...[...world.params.keys()].filter((p) => p.startsWith(`/pillbox/${env}/`)).map((p) => `parameter ${p}`),
    ...world.addresses.filter((a) => own(a.tags)).map((a) => `address ${a.publicIp}`),
    ...[...world.schedules.keys()].filter((s) => s.startsWith(`pillbox-${env}-expiry-`)).map((s) => `schedule ${s}`),
    ...keysUnder(world, BUCKET, sourcePrefix(env)).map((k) => `object ${k}`),
  ];
}

/** Nothing of the environment left in the account. */
function expectEmpty(world: World, env = 'dev'): void {
  expect(leftOf(world, env)).to.deep.equal([]);
}


describe('teardown', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('removes everything a successful provision created and says what it removed', async () => {
    await provision(aConfig(), depsFor(fake));
    const result = await teardownEnvironment('dev', teardownDeps(fake));
    expectEmpty(world);
    expect(result.removed.map((s) => s.resource)).to.deep.equal(['instance', 'expiry', 'scheduler-role', 'security-group', 'instance-profile', 'role', 'secrets', 'source']);
    expect(result.removed.find((s) => s.resource === 'secrets')?.detail).to.equal(`${SECRET_NAMES.length} parameter(s)`);
  });

  it('releases the Elastic IP of an environment with a domain once its instance is terminated', async () => {
    await provision(aConfig({ domain: 'app.example.com' }), depsFor(fake));
    const ip = world.addresses[0]!.publicIp;
    world.log.length = 0;
    const result = await teardownEnvironment('dev', teardownDeps(fake));
    expectEmpty(world);
    expect(result.removed.slice(0, 2).map((s) => `${s.resource} ${s.name} (${s.detail ?? ''})`)).to.deep.equal([
      `instance ${result.removed[0]!.name} (running)`,
      `elastic-ip ${ip} (remove any DNS record pointing at it)`,
    ]);
    expect(world.log.indexOf('ReleaseAddress')).to.be.greaterThan(world.log.indexOf('TerminateInstances'));
  });

  for (const command of ['AllocateAddress', 'AssociateAddress']) {
    it(`cleans up after a provision with a domain that died at ${command}`, async () => {
      world.crash = { command, occurrence: 1 };
      await provision(aConfig({ domain: 'app.example.com' }), depsFor(fake)).catch(() => undefined);
      expect(world.dead, 'the crash point was reached').to.equal(true);
      world.dead = false;
      expect(leftOf(world).some((left) => left.startsWith('address '))).to.equal(true);
      world.params.delete('/pillbox/dev/lock');
      await teardownEnvironment('dev', teardownDeps(fake));
      expectEmpty(world);
    });
  }

  it('waits for shutting-down → terminated before it deletes the security group', async () => {
    await provision(aConfig(), depsFor(fake));
    const deps = teardownDeps(fake);
    await teardownEnvironment('dev', deps);
    expect(deps.log()).to.match(/… i-[0-9a-f]+ shutting-down/);
    expect(world.instances[0]!.state).to.equal('terminated');
  });

  it('reports nothing left on a second run, and changes nothing', async () => {
    await provision(aConfig(), depsFor(fake));
    await teardownEnvironment('dev', teardownDeps(fake));
    fake.mocks.ec2.resetHistory();
    fake.mocks.ssm.resetHistory();
    fake.mocks.iam.resetHistory();
    fake.mocks.scheduler.resetHistory();
    fake.mocks.s3.resetHistory();
    const again = await teardownEnvironment('dev', teardownDeps(fake));
    // The final backup stays: only --delete-backups removes it.
    expect(again).to.deep.equal({ env: 'dev', removed: [], aborted: false, kept: [{ action: 'keep', resource: 'backups', name: 'envs/dev/backups/', detail: '2 object(s); --delete-backups removes them' }] });
    expect(commandNames(fake).filter((n) => /^(Delete|Terminate|Remove|Put)/.test(n))).to.deep.equal([]);
  });

  describe('an environment of which nothing exists', () => {
    it('is refused, with the environments that do exist, when its name came from the git branch', async () => {
      await provision(aConfig({ env: 'main' }), depsFor(fake));
      world.log.length = 0;
      const deps = teardownDeps(fake);
      const err = await rejection(teardownEnvironment('feature-add-search', deps, undefined, true));
      expect(err.message).to.equal('Nothing of environment "feature-add-search" (from the git branch) exists in eu-west-1; nothing was removed.');
      expect((err as { hint?: string }).hint).to.equal('Here: main (running). Pick one with --env (--env main); without it the name follows the git branch.');
      expect(deps.questions, 'nothing to confirm').to.deep.equal([]);
      expect(world.log.filter((n) => MUTATING.test(n))).to.deep.equal([]);
    });

    it('succeeds when named with --env, and says it never existed or is gone with its backups', async () => {
      await provision(aConfig({ env: 'main' }), depsFor(fake));
      const result = await teardownEnvironment('feature-add-search', teardownDeps(fake), undefined, false);
      expect(result).to.deep.equal({ env: 'feature-add-search', removed: [], aborted: false, kept: [], absent: { others: 'main (running)' } });
      expect(teardownRows([result])).to.deep.equal([
        ['feature-add-search', 'nothing of "feature-add-search" exists here (it never existed, or was removed with its backups); nothing was removed; environments here: main (running)'],
      ]);
    });

    it('succeeds from the git branch too when no environment exists at all', async () => {
      const result = await teardownEnvironment('feature-add-search', teardownDeps(fake), undefined, true);
      expect(result.absent).to.deep.equal({ others: '' });
      expect(teardownRows([result])[0]?.[1]).to.equal(
        'nothing of "feature-add-search" exists here (it never existed, or was removed with its backups); nothing was removed; no environment exists here',
      );
    });

    it('is not confused with one already gone whose backups are kept', async () => {
      await provision(aConfig({ env: 'main' }), depsFor(fake));
      await provision(aConfig(), depsFor(fake));
      await teardownEnvironment('dev', teardownDeps(fake));
      const again = await teardownEnvironment('dev', teardownDeps(fake), undefined, true);
      expect(again.absent).to.equal(undefined);
      expect(teardownRows([again])[0]?.[1]).to.match(/^already gone: nothing left to remove; kept backups envs\/dev\/backups\//);
    });
  });

  describe('after a provision that crashed', () => {
    it('knows every mutating call a fresh provision makes', async () => {
      await provision(aConfig(), depsFor(fake));
      expect(world.log.filter((n) => MUTATING.test(n))).to.deep.equal(PROVISION_MUTATIONS);
    });

    for (const [command, occurrence] of crashPoints) {
      it(`cleans up after a provision that died at ${command} #${occurrence}`, async () => {
        // The call takes effect in AWS, then the process is gone: no undo, no lock release.
        world.crash = { command, occurrence };
        await provision(aConfig(), depsFor(fake)).catch(() => undefined);
        expect(world.dead, 'the crash point was reached').to.equal(true);
        world.dead = false;
        expect(leftOf(world), 'what the crash left behind').to.not.deep.equal([]);
        // The operator removes the crashed run's lock, as the lock message says, after EC2's describe lag.
        world.params.delete('/pillbox/dev/lock');
        fake.clock.advance(world.timing.describeLagMs);
        await teardownEnvironment('dev', teardownDeps(fake));
        expectEmpty(world);
      });
    }
  });

  it('cleans up after a provision that timed out waiting for the box, lock included', async () => {
    world.box.unitState = 'activating';
    world.box.services = [];
    await rejection(provision(aConfig(), depsFor(fake)));
    expect(leftOf(world)).to.include(`instance ${world.instances[0]!.id}`);
    await teardownEnvironment('dev', teardownDeps(fake));
    expectEmpty(world);
  });

  it('retries the security group while the terminated instance’s network interface detaches (DependencyViolation)', async () => {
    await provision(aConfig(), depsFor(fake));
    await teardownEnvironment('dev', teardownDeps(fake));
    const deletes = fake.mocks.ec2.commandCalls(ec2.DeleteSecurityGroupCommand);
    expect(deletes.length, 'refused at least once first').to.be.greaterThan(1);
    const terminate = fake.mocks.ec2.commandCalls(ec2.TerminateInstancesCommand)[0]!;
    expect(terminate.calledBefore(deletes[0]!)).to.equal(true);
    expectEmpty(world);
  });

  it('gives up on a security group that stays in use, naming it', async () => {
    await provision(aConfig(), depsFor(fake));
    world.timing.eniDetachMs = 24 * 3_600_000;
    const err = await rejection(teardownEnvironment('dev', teardownDeps(fake, { sgRetry: { limitMs: 60_000 } })));
    expect(err.message).to.match(/^Security group sg-[0-9a-f]+ is still in use\.$/);
    expect(world.params.has('/pillbox/dev/lock'), 'the lock is released').to.equal(false);
  });

  it('deletes parameters in batches of at most ten, reading every page of them', async () => {
    for (let i = 0; i < 23; i++) world.params.set(`/pillbox/dev/extra/${i}`, { value: 'x', type: 'String', tags: [] });
    await teardownEnvironment('dev', teardownDeps(fake));
    const batches = fake.mocks.ssm.commandCalls(DeleteParametersCommand).map((c) => c.args[0].input.Names?.length);
    expect(batches).to.deep.equal([10, 10, 3]);
    expect(world.params.size).to.equal(0);
  });

  it('removes an inline policy found on a later page of ListRolePolicies', async () => {
    await provision(aConfig(), depsFor(fake));
    world.roles.get('pillbox-dev-instance')!.policies.set('zz-added-by-hand', '{}');
    await teardownEnvironment('dev', teardownDeps(fake));
    expectEmpty(world);
  });

  it('takes what vanished meanwhile as removed (NoSuchEntityException, InvalidGroup.NotFound, as SDK v3 names them)', async () => {
    await provision(aConfig(), depsFor(fake));
    world.onCall = (command) => {
      if (command === 'DeleteRolePolicy') world.roles.get('pillbox-dev-instance')?.policies.clear();
      if (command === 'RemoveRoleFromInstanceProfile') world.profiles.get('pillbox-dev-instance')!.roles = [];
    };
    await teardownEnvironment('dev', teardownDeps(fake));
    expectEmpty(world);
  });

  it('touches nothing when the operator says no', async () => {
    await provision(aConfig(), depsFor(fake));
    const deps = teardownDeps(fake, { confirm: async () => false });
    const result = await teardownEnvironment('dev', deps);
    expect(result.aborted).to.equal(true);
    expect(world.instances.filter((i) => i.state === 'running')).to.have.length(1);
    expect(world.roles.size).to.equal(2);
    expect(world.schedules.size).to.equal(1);
  });

  it('asks once, naming the environment', async () => {
    await provision(aConfig(), depsFor(fake));
    const group = world.groups.find((g) => g.name === 'pillbox-dev')!;
    const deps = teardownDeps(fake);
    await teardownEnvironment('dev', deps, { finalBackup: false, deleteBackups: false });
    expect(deps.questions).to.have.length(1);
    expect(deps.questions[0]?.split('\n')).to.deep.equal([
      'Remove 8 resource group(s) of environment "dev":',
      `  - instance ${world.instances[0]!.id} (running)`,
      `  - expiry pillbox-dev-expiry-${world.instances[0]!.id}`,
      '  - scheduler-role pillbox-dev-scheduler',
      `  - security-group pillbox-dev (${group.id})`,
      '  - instance-profile pillbox-dev-instance',
      '  - role pillbox-dev-instance (and inline pillbox-dev-instance)',
      `  - secrets /pillbox/dev/ (${SECRET_NAMES.length} parameter(s))`,
      '  - source envs/dev/source/ (1 archive(s))',
      'The bucket pillbox-123456789012-eu-west-1 stays, with this environment\'s backups (--delete-backups removes them).',
      'Go on?',
    ]);
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
    expect([...world.roles.keys()]).to.deep.equal(['pillbox-dev-2-instance', 'pillbox-dev-2-scheduler']);
    expect([...world.schedules.keys()]).to.have.length(1);
    expect([...world.schedules.keys()][0]).to.match(/^pillbox-dev-2-expiry-i-/);
    expect([...world.params.keys()]).to.have.length(SECRET_NAMES.length);
    expect([...world.params.keys()].every((k) => k.startsWith('/pillbox/dev-2/'))).to.equal(true);
  });

  it('leaves a namesake security group in another VPC alone', async () => {
    world.groups.push({ id: 'sg-foreign', name: 'pillbox-dev', vpcId: 'vpc-other', tags: [] });
    await provision(aConfig(), depsFor(fake));
    await teardownEnvironment('dev', teardownDeps(fake));
    expect(world.groups.map((g) => g.id)).to.deep.equal(['sg-foreign']);
  });

  describe('--all-expired', () => {
    it('selects environments past ExpiresAt, from instances or (without one) their security group', async () => {
      await provision(aConfig({ env: 'old', ttlHours: 1 }), depsFor(fake));
      await provision(aConfig({ env: 'fresh', ttlHours: 24 }), depsFor(fake, { runId: 'run00002' }));
      // A provision that crashed after its security group: only the group carries ExpiresAt.
      world.crash = { command: 'AuthorizeSecurityGroupIngress', occurrence: 3 };
      await rejection(provision(aConfig({ env: 'crashed', ttlHours: 1 }), depsFor(fake, { runId: 'run00003' })));
      world.dead = false;
      const twoHoursLater = Date.parse('2026-11-21T12:10:00Z');
      expect(await findExpiredEnvironments(fake.clients, twoHoursLater)).to.deep.equal(['crashed', 'old']);
    });

    it('judges a group alone by its own ExpiresAt: at or past it goes; before it, or without one, stays', async () => {
      const now = Date.parse('2026-11-21T12:00:00Z');
      const group = (env: string, expiresAt?: string) =>
        world.groups.push({ id: `sg-${env}`, name: `pillbox-${env}`, vpcId: 'vpc-default1', tags: [...ownerTags(env), ...(expiresAt ? [{ Key: 'ExpiresAt', Value: expiresAt }] : [])] });
      group('at', new Date(now).toISOString());
      group('past', '2026-11-21T11:00:00Z');
      group('before', '2026-11-21T12:00:01Z');
      group('untagged');
      expect(await findExpiredEnvironments(fake.clients, now)).to.deep.equal(['at', 'past']);
    });

    it('counts a box as expired from the very second of its ExpiresAt', async () => {
      await provision(aConfig({ ttlHours: 1 }), depsFor(fake));
      const expiresAt = Date.parse(world.instances[0]!.tags.find((t) => t.Key === 'ExpiresAt')!.Value!);
      expect(await findExpiredEnvironments(fake.clients, expiresAt - 1000)).to.deep.equal([]);
      expect(await findExpiredEnvironments(fake.clients, expiresAt)).to.deep.equal(['dev']);
    });

    it('does not select an environment whose group is old but whose live instance is not', async () => {
      await provision(aConfig({ ttlHours: 1 }), depsFor(fake));
      const instance = world.instances[0]!;
      instance.tags = instance.tags.map((t) => (t.Key === 'ExpiresAt' ? { Key: 'ExpiresAt', Value: '2026-11-22T10:00:00Z' } : t));
      expect(await findExpiredEnvironments(fake.clients, Date.parse('2026-11-21T12:00:00Z'))).to.deep.equal([]);
    });

    it('goes on past an environment that fails, and names every failure at the end', async () => {
      for (const [i, env] of ['alpha', 'bravo', 'charlie', 'delta'].entries()) await provision(aConfig({ env, ttlHours: 1 }), depsFor(fake, { runId: `run0000${i}` }));
      world.params.set('/pillbox/bravo/lock', { value: JSON.stringify({ holder: 'bob@ci', command: 'provision', since: '2026-11-21T10:30:00Z' }), type: 'String', tags: [] });
      failNext(world, 'DeleteRole', new DeleteConflictException({ message: 'Cannot delete entity, must detach all policies first.', $metadata: {} }));
      // Past ExpiresAt (1 h) but before the off-box guard fires: the boxes still run.
      await settle(world, 3_600_000 + 10 * 60_000);
      const deps = teardownDeps(fake);
      const sweep = await teardownExpired(deps);
      expect(sweep.results.map((r) => r.env)).to.deep.equal(['charlie', 'delta']);
      expect(sweep.failures).to.deep.equal([
        { env: 'alpha', reason: 'DeleteConflictException: Cannot delete entity, must detach all policies first.' },
        { env: 'bravo', reason: 'Environment "bravo" is locked by bob@ci (provision since 2026-11-21T10:30:00Z).' },
      ]);
      expectEmpty(world, 'charlie');
      expectEmpty(world, 'delta');
      const failed = sweepFailure(sweep);
      expect(failed?.message).to.equal(
        'Teardown failed for 2 environment(s): alpha (DeleteConflictException: Cannot delete entity, must detach all policies first.); bravo (Environment "bravo" is locked by bob@ci (provision since 2026-11-21T10:30:00Z).)',
      );
      expect(teardownRows(sweep.results, sweep.failures).map(([env, what]) => `${env}: ${what.split(';')[0]}`)).to.deep.equal([
        `charlie: instance ${world.instances[2]!.id} (running)`,
        `delta: instance ${world.instances[3]!.id} (running)`,
        'alpha: FAILED: DeleteConflictException: Cannot delete entity, must detach all policies first.',
        'bravo: FAILED: Environment "bravo" is locked by bob@ci (provision since 2026-11-21T10:30:00Z).',
      ]);
    });

    it('sweeps only the environments whose name starts with --prefix (the CI role reaches feat- ones only)', async () => {
      for (const [i, env] of ['feat-a', 'main', 'feat-b'].entries()) await provision(aConfig({ env, ttlHours: 1 }), depsFor(fake, { runId: `run0000${i}` }));
      await settle(world, 2 * 3_600_000);
      const sweep = await teardownExpired(teardownDeps(fake), undefined, 'feat-');
      expect(sweep.results.map((r) => r.env)).to.deep.equal(['feat-a', 'feat-b']);
      expect(await findExpiredEnvironments(fake.clients, world.clock.now())).to.deep.equal(['main']);
    });

    it('has no failure to report when every environment went', async () => {
      await provision(aConfig({ env: 'alpha', ttlHours: 1 }), depsFor(fake));
      await settle(world, 2 * 3_600_000);
      const sweep = await teardownExpired(teardownDeps(fake));
      expect(sweep.failures).to.deep.equal([]);
      expect(sweepFailure(sweep)).to.equal(undefined);
    });
  });
});
