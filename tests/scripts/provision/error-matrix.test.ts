// The error matrix: AWS refuses (AccessDenied) or keeps throttling past the SDK's retries at
// each mutating call of a fresh provision. After each: what the account holds, that nothing is
// undone from under a box that exists, and that running provision again converges.
import { expect } from 'chai';
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { liveInstances, rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from './fixtures.js';
import { crashPoints, failAt, FAULTS, kept } from './mutations.js';

describe('provision, when AWS refuses a call', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  for (const [fault, make] of Object.entries(FAULTS)) {
    for (const [command, occurrence] of crashPoints) {
      it(`${fault} at ${command} #${occurrence}: never undoes what a launched box uses, and a re-run converges`, async () => {
        failAt(world, command, occurrence, make(command));
        const outcome = await provision(aConfig(), depsFor(fake)).then(
          () => undefined,
          (err: unknown) => err as Error,
        );
        expect(world.calls.get(command) ?? 0, 'the fault point was reached').to.be.at.least(occurrence);
        const launched = liveInstances(world);
        if (launched.length > 0) {
          // A box exists: its role, profile, group and secrets stay whatever failed after the launch.
          expect(kept(world), `after ${outcome?.name ?? 'success'}`).to.deep.equal({ role: true, profile: true, group: true, secrets: SECRET_NAMES.length });
        } else {
          // No box: the run undid what it made (the bucket and the source archive stay by design).
          expect(outcome, 'a run that launched nothing failed').to.be.instanceOf(Error);
          expect(kept(world)).to.deep.equal({ role: false, profile: false, group: false, secrets: 0 });
        }
        if (command === 'DeleteParameter') {
          // Releasing the lock is what failed: it stays, and the error says how to remove it.
          expect(world.params.has('/pillbox/dev/lock'), 'the lock stays').to.equal(true);
          world.params.delete('/pillbox/dev/lock');
        } else expect(world.params.has('/pillbox/dev/lock'), 'the lock is released').to.equal(false);
        world.onCall = undefined;
        // A re-run right after a launch sees it only once EC2's describe lag has passed, as on AWS; it re-arms a missing schedule.
        fake.clock.advance(world.timing.describeLagMs);
        const again = await provision(aConfig(), depsFor(fake, { runId: 'again000' }));
        expect(again.waited).to.equal(true);
        expect(liveInstances(world)).to.have.length(1);
        expect(kept(world)).to.deep.equal({ role: true, profile: true, group: true, secrets: SECRET_NAMES.length });
        expect(world.schedules.size, 'one expiry schedule').to.equal(1);
      });
    }
  }

  it('names the cause and the fix for an AccessDenied at launch', async () => {
    failAt(world, 'RunInstances', 1, FAULTS.AccessDenied('ec2:RunInstances'));
    const err = await rejection(provision(aConfig(), depsFor(fake)));
    expect(err.name).to.equal('AccessDenied');
    expect(world.instances).to.deep.equal([]);
  });
});
