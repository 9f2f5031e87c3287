// A command sent while the box's agent cannot be reached must never run later: through the
// fakes, SSM keeps it Pending, then Delayed, and delivers it when the agent comes back unless
// its delivery timeout passed or it was cancelled (deferredAnswer in fake-aws.ts).
import { expect } from 'chai';
import { schedulerRoleArn } from '../../../scripts/lib/aws/expiry-schedule.js';
import { ssmRunner } from '../../../scripts/lib/box/ssm-output.js';
import { extendEnvironment } from '../../../scripts/lib/extend/run.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { rejection, settle, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from '../provision/fixtures.js';

const MINUTE = 60_000;

describe('commands sent while the agent cannot be reached', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  async function extendWhileUnreachable(minutes: number) {
    await provision(aConfig(), depsFor(fake));
    const box = world.instances[0]!;
    box.box.agentUnreachableUntil = fake.clock.now() + minutes * MINUTE;
    const instance = { id: box.id, env: 'dev', state: 'running', instanceType: 't3.medium', expiresAt: new Date(box.tags.find((t) => t.Key === 'ExpiresAt')!.Value!) };
    const deps = {
      ec2: fake.clients.ec2,
      scheduler: fake.clients.scheduler,
      schedulerRoleArn: schedulerRoleArn({ env: 'dev', accountId: world.accountId }),
      run: ssmRunner(fake.clients.ssm, box.id, { clock: fake.clock }),
      now: () => new Date(fake.clock.now()),
      clock: fake.clock,
    };
    return { box, err: await rejection(extendEnvironment(deps, instance, 2, 72)) };
  }

  it('stop the wait on Delayed, cancel it, and it never runs when the agent comes back', async () => {
    const { box, err } = await extendWhileUnreachable(10);
    expect(err.message).to.match(/^The command cmd-\w+ on i-\w+ ended Delayed \(Delayed\); it was cancelled, so it will not run later\.$/);
    expect(world.log).to.include('CancelCommand');
    await settle(world, 30 * MINUTE);
    expect(world.ranLate ?? []).to.deep.equal([]);
    expect(box.box.expiryTimer, 'the timer was never moved behind the operator’s back').to.equal(undefined);
  });

  it('are sent with a delivery timeout, so even an uncancelled one expires before the agent is back', async () => {
    world.faults.set('CancelCommand', [new Error('network down')]);
    const { err } = await extendWhileUnreachable(10);
    expect(err.message).to.include('cancelling it failed');
    await settle(world, 30 * MINUTE);
    expect(world.ranLate ?? []).to.deep.equal([]);
  });
});
