// provision --ttl-hours beyond 72: asked with the monthly cost of the box that will serve, once it is
// known and before anything changes; a no or no terminal leaves nothing behind, not even the lock.
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { provision } from '../../../scripts/lib/provision/run.js';
import { rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from './fixtures.js';

describe('provision of a long-lived box', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  /** Every write to AWS: only the run lock, taken and released. */
  const writes = () => world.log.filter((n) => /^(Create|Put|Delete|Run|Terminate|Authorize|Revoke|Add|Remove|Send|Attach|Detach|Modify|Associate|Allocate|Upload)/.test(n));
  const onlyTheLock = () => {
    expect(writes()).to.deep.equal(['PutParameter', 'DeleteParameter']);
    expect(fake.mocks.ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input.Name)).to.deep.equal(['/pillbox/dev/lock']);
    expect(world.params.size, 'the lock released').to.equal(0);
  };

  it('stops without a terminal and without --yes, having changed nothing', async () => {
    const err = await rejection(provision(aConfig({ ttlHours: 720 }), depsFor(fake)));
    expect(err.message).to.match(/^Environment "dev" would live 30 days, beyond the 72 h of a preview box: about \$36\.42 a month .* Nothing was changed\.$/);
    expect(err.hint).to.equal('Pass --yes to keep it that long, or --ttl-hours 72 or less.');
    onlyTheLock();
  });

  it('asks on a terminal, and a no changes nothing', async () => {
    const questions: string[] = [];
    const deps = depsFor(fake, { interactive: true, lookupAddress: async () => '203.0.113.7', ask: async (q) => (questions.push(q), false) });
    const err = await rejection(provision(aConfig({ ttlHours: 720, instanceType: 't3.large' }), deps));
    expect(err.message).to.equal('Not confirmed; nothing was changed.');
    expect(questions).to.have.length(1);
    expect(questions[0]).to.match(/about \$66\.79 a month \(on-demand, t3\.large, 30 GiB gp3/);
    onlyTheLock();
  });

  it('quotes the kept box\'s own type and volume, not the defaults', async () => {
    await provision(aConfig({ instanceType: 't3.large', volumeGb: 40 }), depsFor(fake));
    const questions: string[] = [];
    const deps = depsFor(fake, { interactive: true, lookupAddress: async () => '203.0.113.7', ask: async (q) => (questions.push(q), false) });
    await rejection(provision(aConfig({ ttlHours: 720 }), deps));
    expect(questions[0]).to.match(/\(on-demand, t3\.large, 40 GiB gp3/);
  });

  it('launches with --yes, the expiry 720 h after the launch', async () => {
    const result = await provision(aConfig({ ttlHours: 720, yes: true }), depsFor(fake));
    const expires = world.instances[0]!.tags.find((t) => t.Key === 'ExpiresAt')?.Value as string;
    expect(Date.parse(expires) - fake.clock.now()).to.be.within(719 * 3_600_000, 720 * 3_600_000);
    expect(result.planned).to.not.equal(true);
  });

  it('plans without asking: --plan touches nothing anyway', async () => {
    const result = await provision(aConfig({ ttlHours: 720, plan: true }), depsFor(fake, { ask: () => Promise.reject(new Error('asked')) }));
    expect(result.planned).to.equal(true);
  });
});
