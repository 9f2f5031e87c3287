// Provision and the off-box expiry guard: its role is made in the IAM phase, before the
// launch, and a box whose schedule is missing gets it back on the next run.
import { expect } from 'chai';
import { armExpirySchedule, schedulerRoleArn } from '../../../scripts/lib/aws/expiry-schedule.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { awsError, failNext, rejection, settle, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from './fixtures.js';

describe('provision and the off-box expiry guard', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('makes the scheduler role in the IAM phase, before anything is launched', async () => {
    await provision(aConfig(), depsFor(fake));
    const roleAt = world.log.findIndex((c, i) => c === 'CreateRole' && world.log.slice(0, i).includes('AddRoleToInstanceProfile'));
    expect(roleAt).to.be.greaterThan(-1);
    expect(roleAt).to.be.lessThan(world.log.indexOf('RunInstances'));
    expect(world.roles.has('pillbox-dev-scheduler')).to.equal(true);
  });

  it('re-arms the schedule of a kept box whose arming failed, on the next run', async () => {
    failNext(world, 'CreateSchedule', awsError('InternalServerException', 'Unexpected error'));
    await rejection(provision(aConfig(), depsFor(fake)));
    const id = world.instances[0]!.id;
    expect(world.schedules.size).to.equal(0);
    fake.clock.advance(world.timing.describeLagMs);
    const again = await provision(aConfig(), depsFor(fake, { runId: 'run00002' }));
    expect(again.instanceId).to.equal(id);
    expect(again.steps).to.deep.include({ action: 'create', resource: 'expiry', name: `pillbox-dev-expiry-${id}`, detail: 'the off-box expiry guard was missing: re-armed' });
    expect([...world.schedules.keys()]).to.deep.equal([`pillbox-dev-expiry-${id}`]);
  });

  it('re-arms a missing schedule whose time has passed a little from now (Scheduler refuses a past at())', async () => {
    failNext(world, 'CreateSchedule', awsError('InternalServerException', 'Unexpected error'));
    await rejection(provision(aConfig({ ttlHours: 1 }), depsFor(fake)));
    const box = world.instances[0]!;
    // The box never armed its own timer (world.box.expiryBackupMs unset): it runs on past its expiry.
    await settle(world, 2 * 3_600_000);
    expect(box.state).to.equal('running');
    const expiresAt = new Date(box.tags.find((t) => t.Key === 'ExpiresAt')!.Value!);
    await armExpirySchedule(fake.clients.scheduler, { env: 'dev', instanceId: box.id, expiresAt, roleArn: schedulerRoleArn({ env: 'dev', accountId: world.accountId }) }, fake.clock);
    const at = Date.parse(`${/^at\((.+)\)$/.exec(world.schedules.get(`pillbox-dev-expiry-${box.id}`)?.ScheduleExpression ?? '')?.[1]}Z`);
    expect(at - fake.clock.now()).to.be.within(60_000, 2 * 60_000);
    await settle(world, 3 * 60_000);
    expect(box.state).to.not.equal('running');
  });

  it('leaves an armed schedule alone on a re-run', async () => {
    await provision(aConfig(), depsFor(fake));
    const before = world.log.filter((c) => c === 'CreateSchedule').length;
    const again = await provision(aConfig(), depsFor(fake, { runId: 'run00002' }));
    expect(again.steps.filter((s) => s.resource === 'expiry')).to.deep.equal([]);
    expect(world.log.filter((c) => c === 'CreateSchedule').length).to.equal(before);
  });
});
