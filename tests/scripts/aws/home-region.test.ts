// One environment name in two regions: IAM is global, so the second region would share the
// first one's instance role, profile and scheduler role. Two fake regions share one IAM.
import { expect } from 'chai';
import { provision } from '../../../scripts/lib/provision/run.js';
import { teardownEnvironment } from '../../../scripts/lib/teardown/run.js';
import { aWorld, commandNames, fakeAws, rejection, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from '../provision/fixtures.js';
import { teardownDeps } from '../teardown/fixtures.js';

/** Any command that creates, writes, launches or removes something. */
const MUTATING = /^(Create|Put|Run|Delete|Terminate|Attach|Detach|Add|Remove|Authorize|Revoke|Allocate|Release|Associate|Upload|Tag|Send)/;

describe('an environment that already runs in another region', () => {
  let east: World;
  let eastFake: FakeAws;
  let westFake: FakeAws;
  beforeEach(async () => {
    east = aWorld({ region: 'us-east-1' });
    eastFake = fakeAws(east);
    await provision(aConfig(), depsFor(eastFake));
    westFake = fakeAws(aWorld({ region: 'eu-west-1', clock: east.clock, roles: east.roles, profiles: east.profiles }));
  });
  afterEach(() => {
    eastFake.restore();
    westFake.restore();
  });

  const eastPolicy = () => east.roles.get('pillbox-dev-instance')?.policies.get('pillbox-dev-instance');

  it('provision there stops in its preflight with the region it runs in, before anything is written', async () => {
    const before = eastPolicy();
    expect(before).to.include(':ssm:us-east-1:');
    const err = await rejection(provision(aConfig(), depsFor(westFake)));
    expect(err.message).to.equal(
      'Environment "dev" already runs in us-east-1 (its role pillbox-dev-instance names that region): IAM is global, so one environment name lives in one region; nothing was changed in eu-west-1.',
    );
    expect(err.hint).to.equal('Use --region us-east-1 (`npm run provision -- --env dev --region us-east-1`), or another --env.');
    expect(commandNames(westFake).filter((n) => MUTATING.test(n))).to.deep.equal([]);
    expect(commandNames(westFake)).to.include('GetRolePolicyCommand');
    expect(eastPolicy()).to.equal(before);
  });

  it('teardown there stops before its question and leaves the roles and the profile the other box uses', async () => {
    const deps = teardownDeps(westFake);
    const err = await rejection(teardownEnvironment('dev', deps));
    expect(err.message).to.match(/^Environment "dev" already runs in us-east-1 \(its role pillbox-dev-instance names that region\)/);
    expect(err.hint).to.equal('Use --region us-east-1 (`npm run teardown -- --env dev --region us-east-1`), or another --env.');
    expect(deps.questions).to.deep.equal([]);
    expect(commandNames(westFake).filter((n) => MUTATING.test(n))).to.deep.equal([]);
    expect([...east.roles.keys()].sort()).to.deep.equal(['pillbox-dev-instance', 'pillbox-dev-scheduler']);
    expect([...east.profiles.keys()]).to.deep.equal(['pillbox-dev-instance']);
  });

  it('its own region provisions and tears it down as before', async () => {
    await provision(aConfig(), depsFor(eastFake));
    await teardownEnvironment('dev', teardownDeps(eastFake));
    expect([...east.roles.keys()]).to.deep.equal([]);
  });
});
