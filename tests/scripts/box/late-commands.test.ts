// A command sent while the box's agent cannot be reached must never run later: through the
// fakes, SSM keeps it Pending, then Delayed (not an end: SSM retries), and delivers it when
// the agent comes back unless its delivery timeout passed or it was cancelled (deferredAnswer
// in fake-aws.ts).
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

  async function extendWhileUnreachable(minutes: number, succeeds = false, then = () => {}): Promise<{ box: World['instances'][number]; err?: Error }> {
    await provision(aConfig(), depsFor(fake));
    then();
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
    if (succeeds) return { box, err: (await extendEnvironment(deps, instance, 2, 72), undefined) };
    return { box, err: await rejection(extendEnvironment(deps, instance, 2, 72)) };
  }

  it('wait through Delayed (SSM retries) and succeed when the agent is back before the delivery timeout', async () => {
    const { box, err } = await extendWhileUnreachable(0.75, true);
    expect(err).to.equal(undefined);
    expect(box.box.expiryTimer, 'the move ran once delivered').to.not.equal(undefined);
  });

  it('end TimedOut when the agent stays away past the delivery timeout, and never run when it comes back', async () => {
    const { box, err } = await extendWhileUnreachable(10);
    expect(err?.message).to.match(/^The command cmd-\w+ on i-\w+ ended TimedOut \(DeliveryTimedOut\)\.$/);
    await settle(world, 30 * MINUTE);
    expect(world.ranLate ?? []).to.deep.equal([]);
    expect(box.box.expiryTimer, 'the timer was never moved behind the operator’s back').to.equal(undefined);
  });

  it('are sent with a delivery timeout, so one the CLI stopped following (no cancel) expires before the agent is back', async () => {
    const { err } = await extendWhileUnreachable(10, false, () => world.faults.set('GetCommandInvocation', [new Error('network down')]));
    expect(err?.message).to.include('network down');
    expect(world.log).to.not.include('CancelCommand');
    await settle(world, 30 * MINUTE);
    expect(world.ranLate ?? []).to.deep.equal([]);
  });
});
