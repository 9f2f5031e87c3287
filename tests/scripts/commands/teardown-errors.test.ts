// teardown's error matrix: AWS refuses (AccessDenied) or keeps throttling past the SDK's retries
// at each call teardown makes that changes the account. After each: the operator is told why,
// the lock is released, and running teardown again leaves nothing.
import { expect } from 'chai';
import { main as provision } from '../../../scripts/provision.js';
import { main as teardown } from '../../../scripts/teardown.js';
import { formatError } from '../../../scripts/lib/core/operator-error.js';
import { awsError, liveInstances, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { MUTATING } from '../provision/mutations.js';

/** Every call a default teardown of a healthy box makes that changes something, in order. */
const TEARDOWN_MUTATIONS = [
  'PutParameter', // the lock
  'SendCommand', // the final backup
  'TerminateInstances',
  'DeleteSchedule',
  'DeleteRolePolicy', // the schedule's role
  'DeleteRole',
  'DeleteSecurityGroup', // refused while the network interface detaches, then gone
  'DeleteSecurityGroup',
  'DeleteSecurityGroup',
  'RemoveRoleFromInstanceProfile',
  'DeleteInstanceProfile',
  'DeleteRolePolicy', // the instance role
  'DeleteRole',
  'DeleteParameters', // the secrets, ten a call
  'DeleteParameters',
  'DeleteObjects', // the source archives
  'DeleteParameter', // the lock, released
];
const points = TEARDOWN_MUTATIONS.map((command, i) => [command, TEARDOWN_MUTATIONS.slice(0, i + 1).filter((c) => c === command).length] as const);

const FAULTS = {
  AccessDenied: () => awsError('AccessDenied', 'User: arn:aws:iam::123456789012:user/alice is not authorized to perform this action'),
  'throttling past the retries': () => Object.assign(awsError('ThrottlingException', 'Rate exceeded'), { $metadata: { attempts: 8 } }),
};

describe('teardown, when AWS refuses a call', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  beforeEach(() => provision(['--env', 'dev', '--ci'], cliDeps(fake)));
  const leftovers = () => liveInstances(world).length + world.groups.length + world.roles.size + world.profiles.size + world.params.size + world.schedules.size;

  it('knows every mutating call a default teardown makes', async () => {
    world.log.length = 0;
    await teardown(['--env', 'dev', '--yes'], cliDeps(fake));
    expect(world.log.filter((n) => MUTATING.test(n))).to.deep.equal(TEARDOWN_MUTATIONS);
  });

  for (const [fault, make] of Object.entries(FAULTS)) {
    for (const [command, occurrence] of points) {
      it(`${fault} at ${command} #${occurrence}: retried away or said why, and a second teardown leaves nothing`, async () => {
        let seen = 0;
        world.onCall = (name) => {
          if (name === command && ++seen === occurrence) world.faults.set(name, [make()]);
        };
        const err = await teardown(['--env', 'dev', '--yes'], cliDeps(fake)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(seen, 'the fault point was reached').to.be.at.least(occurrence);
        // Calls that wait anyway (the backup's send, the termination, the group's detach) retry a throttled one.
        if (err === undefined) expect(leftovers(), 'retried, and done').to.equal(0);
        else expect(formatError(err, false)).to.match(/^✖ .+\n {2}→ .+\n$/).and.not.include('This is unexpected');
        if (command === 'DeleteParameter') {
          expect(world.params.has('/pillbox/dev/lock'), 'releasing the lock is what failed').to.equal(true);
          world.params.delete('/pillbox/dev/lock');
        } else expect(world.params.has('/pillbox/dev/lock'), 'the lock is released').to.equal(false);
        world.onCall = undefined;
        await teardown(['--env', 'dev', '--yes'], cliDeps(fake));
        expect(leftovers()).to.equal(0);
      });
    }
  }
});
