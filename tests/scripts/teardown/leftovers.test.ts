// What a crashed provision can leave that teardown must still find by name.
import { expect } from 'chai';
import { ensureSchedulerRole } from '../../../scripts/lib/aws/expiry-schedule.js';
import { teardownEnvironment } from '../../../scripts/lib/teardown/run.js';
import { useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { teardownDeps } from './fixtures.js';

describe('teardown of leftovers', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('removes a lone scheduler role (provision made it in its IAM phase, then died)', async () => {
    await ensureSchedulerRole(fake.clients.iam, { env: 'dev', region: world.region, accountId: world.accountId, tags: [] });
    const result = await teardownEnvironment('dev', teardownDeps(fake));
    expect(result.removed.map((s) => `${s.resource} ${s.name}`)).to.deep.equal(['scheduler-role pillbox-dev-scheduler']);
    expect(world.roles.has('pillbox-dev-scheduler')).to.equal(false);
  });
});
