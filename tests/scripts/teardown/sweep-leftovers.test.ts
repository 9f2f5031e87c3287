// The sweep (--all-expired) finding environments by their leftovers: what a provision makes
// before its security group, found by tag and name across the region.
import { ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { expect } from 'chai';
import { armExpirySchedule, ensureSchedulerRole, schedulerRoleArn } from '../../../scripts/lib/aws/expiry-schedule.js';
import { createRole } from '../../../scripts/lib/aws/iam.js';
import { taggedParameters } from '../../../scripts/lib/aws/leftovers.js';
import { baseTags, ownerTags, tagValue as tagValueOf } from '../../../scripts/lib/core/names.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { LEFTOVER_SEARCH, sweepFailure, teardownExpired } from '../../../scripts/lib/teardown/run.js';
import { teardownRows } from '../../../scripts/lib/teardown/summary.js';
import { rejection, settle, throttleBurst, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from '../provision/fixtures.js';
import { teardownDeps } from './fixtures.js';

const HOUR = 3_600_000;

/** Everything named for the environment that is still in the account. */
function leftOf(world: World, env: string): string[] {
  return [
    ...[...world.roles.keys()].filter((r) => r.startsWith(`pillbox-${env}-`)).map((r) => `role ${r}`),
    ...[...world.profiles.keys()].filter((p) => p.startsWith(`pillbox-${env}-`)).map((p) => `profile ${p}`),
    ...[...world.params.keys()].filter((p) => p.startsWith(`/pillbox/${env}/`)).map((p) => `parameter ${p}`),
    ...[...world.schedules.keys()].filter((s) => s.startsWith(`pillbox-${env}-`)).map((s) => `schedule ${s}`),
    ...world.groups.filter((g) => g.name === `pillbox-${env}`).map((g) => `group ${g.id}`),
  ];
}

describe('teardown --all-expired, by leftovers', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  /**
   * A provision (TTL 1 h) that died after its last secret, before the security group: the lock it
   * held, both roles, the profile and ten secrets stay. A schedule of an earlier box of the
   * environment, disabled by hand, stays too (an enabled one would have fired and deleted itself).
   */
  async function crashBeforeTheGroup(env = 'dev'): Promise<void> {
    world.crash = { command: 'PutParameter', occurrence: 11 };
    await rejection(provision(aConfig({ env, ttlHours: 1 }), depsFor(fake)));
    world.dead = false;
    world.crash = undefined;
    const expiresAt = new Date(Date.parse('2026-11-21T11:00:00Z'));
    const roleArn = schedulerRoleArn({ env, accountId: world.accountId });
    await armExpirySchedule(fake.clients.scheduler, { env, instanceId: 'i-0000dead', expiresAt, roleArn }, fake.clock);
    const schedule = world.schedules.get(`pillbox-${env}-expiry-i-0000dead`);
    if (schedule) schedule.State = 'DISABLED';
  }

  it('removes an environment whose provision died before its security group, once all of it has expired', async () => {
    await crashBeforeTheGroup();
    expect(leftOf(world, 'dev')).to.include.members(['role pillbox-dev-instance', 'role pillbox-dev-scheduler', 'profile pillbox-dev-instance', 'parameter /pillbox/dev/lock', 'schedule pillbox-dev-expiry-i-0000dead']);
    expect(leftOf(world, 'dev').filter((l) => l.startsWith('parameter /pillbox/dev/secrets/'))).to.have.length(10);
    await settle(world, 2 * HOUR);
    const deps = teardownDeps(fake);
    const sweep = await teardownExpired(deps);
    expect(sweep.failures).to.deep.equal([]);
    expect(sweep.results.map((r) => r.env)).to.deep.equal(['dev']);
    expect(leftOf(world, 'dev')).to.deep.equal([]);
    expect(deps.log()).to.include('removed the lock left by');
    const [row] = teardownRows(sweep.results, sweep.failures, sweep.orphans);
    expect(row?.[1]).to.include('found by tag: lock, role pillbox-dev-instance, scheduler-role pillbox-dev-scheduler, instance-profile pillbox-dev-instance, schedule pillbox-dev-expiry-i-0000dead, 10 parameter(s)');
  });

  it("never removes a lock a new run just took, whatever the tagging API's index still says of that name", async () => {
    await crashBeforeTheGroup();
    await settle(world, 2 * HOUR);
    // The operator unlocked and provisions again: the new lock carries the new ExpiresAt, but the
    // index still reports the name with the dead run's tags (GetResources: "previously tagged").
    const lock = '/pillbox/dev/lock';
    world.formerTags = new Map([[lock, world.params.get(lock)?.tags ?? []]]);
    const since = new Date(fake.clock.now()).toISOString();
    const value = JSON.stringify({ holder: 'bob@ci', command: 'provision', since });
    world.params.set(lock, { value, type: 'String', tags: baseTags({ env: 'dev', expiresAt: new Date(fake.clock.now() + HOUR), gitSha: 'def' }) });
    const deps = teardownDeps(fake);
    const sweep = await teardownExpired(deps);
    expect(world.params.get(lock)?.value).to.equal(value);
    expect(deps.log()).not.to.include('removed the lock');
    expect(sweep.results).to.deep.equal([]);
    expect(sweep.failures.map((f) => f.env)).to.deep.equal(['dev']);
    expect(sweep.failures[0]?.reason).to.include('locked by bob@ci (provision since');
    expect(leftOf(world, 'dev')).to.include.members(['role pillbox-dev-instance', 'role pillbox-dev-scheduler']);
  });

  it('leaves a box a provision launched after the sweep looked, before that environment came up', async () => {
    await crashBeforeTheGroup();
    world.params.delete('/pillbox/dev/lock');
    await ensureSchedulerRole(fake.clients.iam, { env: 'aaa', region: world.region, accountId: world.accountId, tags: baseTags({ env: 'aaa', expiresAt: new Date('2026-11-21T09:00:00Z'), gitSha: 'abc' }) });
    await settle(world, 2 * HOUR);
    // While the sweep removes aaa, dev is provisioned again: its new box is not expired.
    let provisioned = false;
    const confirm = async () => {
      if (!provisioned) await provision(aConfig({ env: 'dev', ttlHours: 4 }), depsFor(fake));
      provisioned = true;
      return true;
    };
    const sweep = await teardownExpired(teardownDeps(fake, { confirm }));
    expect(sweep.results.map((r) => r.env)).to.deep.equal(['aaa']);
    expect(sweep.failures.map((f) => f.env)).to.deep.equal(['dev']);
    expect(sweep.failures[0]?.reason).to.match(/has a box that has not expired \(i-\w+, ExpiresAt 2026-11-2\dT\d\d:\d\d:\d\dZ\)/);
    expect(world.instances.filter((i) => i.state === 'running').map((i) => tagValueOf(i.tags, 'Env'))).to.deep.equal(['dev']);
    expect(leftOf(world, 'dev')).to.include.members(['role pillbox-dev-instance', 'role pillbox-dev-scheduler', 'profile pillbox-dev-instance']);
  });

  it("removes a lone lock a killed teardown left once it is over 2 hours old, and leaves a younger one", async () => {
    const lockOf = (env: string, ageMs: number) => ({
      value: JSON.stringify({ holder: 'alice@laptop', command: 'teardown', since: new Date(fake.clock.now() - ageMs).toISOString() }),
      type: 'String',
      tags: ownerTags(env),
    });
    world.params.set('/pillbox/gone/lock', lockOf('gone', 3 * HOUR));
    world.params.set('/pillbox/going/lock', lockOf('going', 10 * 60_000));
    const deps = teardownDeps(fake);
    const sweep = await teardownExpired(deps);
    expect(world.params.has('/pillbox/gone/lock')).to.equal(false);
    expect(deps.log()).to.include('gone: removed the lock left by alice@laptop (teardown since');
    // The younger lock's teardown may still be running: it stays, and nothing else of it is there to remove.
    expect(world.params.has('/pillbox/going/lock')).to.equal(true);
    expect(deps.log()).not.to.include('going: removed the lock');
    expect(sweep.failures).to.deep.equal([]);
  });

  it('keeps a lone lock exactly 2 hours old, and one whose start it cannot read', async () => {
    const lock = (env: string, since: string) => ({ value: JSON.stringify({ holder: 'alice@laptop', command: 'teardown', since }), type: 'String', tags: ownerTags(env) });
    world.params.set('/pillbox/edge/lock', lock('edge', new Date(fake.clock.now() - 2 * HOUR).toISOString()));
    world.params.set('/pillbox/garbled/lock', lock('garbled', 'yesterday'));
    const deps = teardownDeps(fake);
    await teardownExpired(deps);
    expect(world.params.has('/pillbox/edge/lock')).to.equal(true);
    expect(world.params.has('/pillbox/garbled/lock')).to.equal(true);
    expect(deps.log()).not.to.include('removed the lock');
  });

  it('keeps such an environment, and says why, while it has not expired', async () => {
    await crashBeforeTheGroup();
    await settle(world, 20 * 60_000);
    const sweep = await teardownExpired(teardownDeps(fake));
    expect(sweep.results).to.deep.equal([]);
    expect(sweep.orphans?.map((o) => [o.env, o.kept])).to.deep.equal([['dev', 'not expired: the latest ExpiresAt is 2026-11-21T11:26:00Z']]);
    expect(leftOf(world, 'dev')).to.have.length(15);
    expect(teardownRows(sweep.results, sweep.failures, sweep.orphans)[0]?.[1]).to.match(/^kept lock, role pillbox-dev-instance, .*: not expired/);
  });

  it('never touches an environment whose box is alive, however old its roles and secrets are', async () => {
    await provision(aConfig({ env: 'live', ttlHours: 1 }), depsFor(fake));
    const box = world.instances[0]!;
    box.tags = box.tags.map((t) => (t.Key === 'ExpiresAt' ? { Key: 'ExpiresAt', Value: '2026-11-23T10:00:00Z' } : t));
    for (const s of world.schedules.values()) s.State = 'DISABLED';
    await settle(world, 3 * HOUR);
    const before = leftOf(world, 'live');
    const sweep = await teardownExpired(teardownDeps(fake));
    expect(sweep.results).to.deep.equal([]);
    expect(sweep.orphans).to.deep.equal([]);
    expect(leftOf(world, 'live')).to.deep.equal(before);
  });

  it('keeps look-alikes: our names without our tags, and our tags on names pillbox does not make', async () => {
    const old = baseTags({ env: 'dev', expiresAt: new Date('2026-11-20T00:00:00Z'), gitSha: 'abc' });
    world.roles.set('pillbox-legacy-instance', { path: '/', trust: '{}', tags: [], policies: new Map(), attached: [] });
    world.params.set('/pillbox/legacy/secrets/X', { value: 'x', type: 'SecureString', tags: [] });
    world.roles.set('pillbox-dev-admin', { path: '/', trust: '{}', tags: old, policies: new Map(), attached: [] });
    world.params.set('/pillboxes/dev/x', { value: 'x', type: 'String', tags: old });
    // Our name, our tags, but another environment's Env tag.
    world.params.set('/pillbox/other/secrets/X', { value: 'x', type: 'SecureString', tags: old });
    world.profiles.set('pillbox-other-instance', { tags: old, roles: [], visibleAt: 0 });
    // Our name and tags under a path: not made by provision, and the CLI's policy denies role paths.
    const team = baseTags({ env: 'team', expiresAt: new Date('2026-11-20T00:00:00Z'), gitSha: 'abc' });
    world.roles.set('pillbox-team-instance', { path: '/ops/', trust: '{}', tags: team, policies: new Map(), attached: [] });
    world.profiles.set('pillbox-team-instance', { tags: team, roles: [], visibleAt: 0, path: '/ops/' });
    // Our schedule name acting through someone else's role.
    const name = 'pillbox-ghost-expiry-i-0abc';
    const target = { Arn: 'arn:aws:scheduler:::aws-sdk:ec2:terminateInstances', RoleArn: `arn:aws:iam::${world.accountId}:role/someone-else`, Input: '{}' };
    world.schedules.set(name, { Name: name, ScheduleExpression: 'at(2026-11-20T00:00:00)', ScheduleExpressionTimezone: 'UTC', FlexibleTimeWindow: { Mode: 'OFF' }, State: 'DISABLED', Target: target });
    const sweep = await teardownExpired(teardownDeps(fake));
    expect(sweep.results).to.deep.equal([]);
    expect(sweep.failures).to.deep.equal([]);
    expect(sweep.orphans).to.deep.equal([]);
    expect([...world.schedules.keys()]).to.deep.equal([name]);
    expect([...world.roles.keys()].sort()).to.deep.equal(['pillbox-dev-admin', 'pillbox-legacy-instance', 'pillbox-team-instance']);
    expect([...world.params.keys()].sort()).to.deep.equal(['/pillbox/legacy/secrets/X', '/pillbox/other/secrets/X', '/pillboxes/dev/x']);
    expect([...world.profiles.keys()]).to.deep.equal(['pillbox-other-instance', 'pillbox-team-instance']);
  });

  it('removes a lone scheduler role of this region once expired', async () => {
    const tags = baseTags({ env: 'solo', expiresAt: new Date('2026-11-21T09:00:00Z'), gitSha: 'abc' });
    await ensureSchedulerRole(fake.clients.iam, { env: 'solo', region: world.region, accountId: world.accountId, tags });
    const sweep = await teardownExpired(teardownDeps(fake));
    expect(sweep.results.map((r) => [r.env, r.removed.map((s) => `${s.resource} ${s.name}`)])).to.deep.equal([['solo', ['scheduler-role pillbox-solo-scheduler']]]);
    expect(world.roles.has('pillbox-solo-scheduler')).to.equal(false);
  });

  it('keeps IAM things of another region, or of none it can tell (IAM is global)', async () => {
    const tags = (env: string) => baseTags({ env, expiresAt: new Date('2026-11-21T09:00:00Z'), gitSha: 'abc' });
    await ensureSchedulerRole(fake.clients.iam, { env: 'yonder', region: 'us-east-1', accountId: world.accountId, tags: tags('yonder') });
    await createRole(fake.clients.iam, 'bare', tags('bare'), { accountId: world.accountId });
    const sweep = await teardownExpired(teardownDeps(fake));
    expect(sweep.results).to.deep.equal([]);
    expect(sweep.orphans?.map((o) => [o.env, o.kept])).to.deep.equal([
      ['bare', 'only IAM things that name no region: `npm run teardown -- --env bare --region <its region>` removes them'],
      ['yonder', 'its scheduler-role pillbox-yonder-scheduler belongs to us-east-1 (IAM is global): sweep there with --region us-east-1'],
    ]);
    expect([...world.roles.keys()].sort()).to.deep.equal(['pillbox-bare-instance', 'pillbox-yonder-scheduler']);
  });

  it('follows every page of the tagging API, short and empty ones included', async () => {
    for (const env of ['a', 'b', 'c']) world.params.set(`/pillbox/${env}/secrets/X`, { value: 'x', type: 'SecureString', tags: baseTags({ env, expiresAt: new Date('2026-11-21T09:00:00Z'), gitSha: 'abc' }) });
    world.pageSize = 2;
    const found = await taggedParameters(fake.clients.tagging, world.region);
    expect(found.map((l) => l.env)).to.deep.equal(['a', 'b', 'c']);
    expect(world.calls.get('GetResources')).to.equal(3);
    const sweep = await teardownExpired(teardownDeps(fake));
    expect(sweep.results.map((r) => r.env)).to.deep.equal(['a', 'b', 'c']);
    expect(world.params.size).to.equal(0);
  });

  it('still removes the expired boxes when the search for leftovers fails, and fails naming it', async () => {
    await provision(aConfig({ env: 'old', ttlHours: 1 }), depsFor(fake));
    await ensureSchedulerRole(fake.clients.iam, { env: 'solo', region: world.region, accountId: world.accountId, tags: baseTags({ env: 'solo', expiresAt: new Date('2026-11-21T09:00:00Z'), gitSha: 'abc' }) });
    await settle(world, 2 * HOUR);
    throttleBurst(world, 'GetResources', 1);
    const sweep = await teardownExpired(teardownDeps(fake));
    expect(sweep.results.map((r) => r.env)).to.deep.equal(['old']);
    expect(leftOf(world, 'old')).to.deep.equal([]);
    // Judged by nothing: its leftovers stay for the next sweep.
    expect(world.roles.has('pillbox-solo-scheduler')).to.equal(true);
    expect(sweep.failures.map((f) => f.env)).to.deep.equal([LEFTOVER_SEARCH]);
    expect(sweep.failures[0]?.reason).to.match(/ThrottledException.*; environments with leftovers only were not judged$/);
    expect(sweepFailure(sweep)?.message).to.include(`${LEFTOVER_SEARCH} (`);
  });

  it('sweeps only leftovers whose environment starts with --prefix, and asks IAM about no other role', async () => {
    const tags = (env: string) => baseTags({ env, expiresAt: new Date('2026-11-21T09:00:00Z'), gitSha: 'abc' });
    for (const env of ['feat-a', 'main']) await ensureSchedulerRole(fake.clients.iam, { env, region: world.region, accountId: world.accountId, tags: tags(env) });
    world.params.set('/pillbox/main/secrets/X', { value: 'x', type: 'SecureString', tags: tags('main') });
    fake.mocks.iam.resetHistory();
    const sweep = await teardownExpired(teardownDeps(fake), undefined, 'feat-');
    expect(sweep.results.map((r) => r.env)).to.deep.equal(['feat-a']);
    // Nothing of main is judged, or printed as going.
    expect(sweep.orphans?.map((o) => o.env)).to.deep.equal(['feat-a']);
    expect(world.params.has('/pillbox/main/secrets/X')).to.equal(true);
    expect(world.roles.has('pillbox-main-scheduler')).to.equal(true);
    // The CI role may read feat- roles' tags only: main's are never asked for.
    const asked = fake.mocks.iam.commandCalls(ListRoleTagsCommand).map((c) => c.args[0].input.RoleName);
    expect(asked.length).to.be.above(1);
    expect([...new Set(asked)]).to.deep.equal(['pillbox-feat-a-scheduler']);
  });
});
