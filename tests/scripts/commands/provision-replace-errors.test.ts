// provision --replace's crash and error matrix, run as a user runs it: at each call of the replace
// path that changes something, the process dies (the call took effect in AWS), or AWS refuses it
// (AccessDenied) or keeps throttling past the SDK's retries. After each: the old box and its data
// are never lost, nothing a live box uses is undone, and running the same command again converges
// on one healthy box holding the old box's data.
import { expect } from 'chai';
import { main as provision } from '../../../scripts/provision.js';
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';
import { formatError } from '../../../scripts/lib/core/operator-error.js';
import { liveInstances, settle, useFakeAws, type FakeAws, type FakeInstance, type World } from '../fakes/fake-aws.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { failAt, FAULTS, kept, MUTATING, pointsOf } from '../provision/mutations.js';

const REPLACE = ['--env', 'dev', '--ci', '--replace'];
const OLD_ROWS = { medications: 42, schema_migrations: 1 };
const LOCK = '/pillbox/dev/lock';

/** Every call a default --replace of a healthy box makes that changes something, in order. */
const REPLACE_MUTATIONS = [
  'PutParameter', // the lock
  'PutPublicAccessBlock', // the bucket, converged
  'PutBucketEncryption',
  'PutBucketPolicy',
  'PutBucketLifecycleConfiguration',
  'PutBucketTagging',
  'PutObject', // the source archive
  'PutRolePermissionsBoundary', // the instance role, converged
  'PutRolePolicy',
  'PutRolePermissionsBoundary', // the scheduler's role
  'PutRolePolicy',
  'SendCommand', // the old box's backup
  'RunInstances', // the replacement
  'CreateSchedule', // its off-box expiry guard
  ...Array.from({ length: 4 }, () => 'SendCommand'), // cloud-init, the stack, /readyz, the edge
  ...Array.from({ length: 7 }, () => 'SendCommand'), // the restore of the backup: download, render, stop, apply, start, count, clean-up
  'TerminateInstances', // the old box retires
  'DeleteParameter', // the lock, released only once one box serves
];

describe('provision --replace, when the process dies or AWS refuses a call', function () {
  // Three provisions a test, on a shared machine.
  this.timeout(60_000);
  let world: World;
  let fake: FakeAws;
  let old: FakeInstance;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  beforeEach(async () => {
    await provision(['--env', 'dev', '--ci'], cliDeps(fake));
    old = world.instances[0]!;
    old.box.data.rows = { ...OLD_ROWS };
    // Occurrences count from the replace on.
    world.calls = new Map();
    world.log.length = 0;
  });

  /** Runs --replace; returns what it threw (undefined when it finished by itself). */
  const replace = () =>
    provision(REPLACE, cliDeps(fake)).then(
      () => undefined,
      (err: unknown) => err,
    );
  /** The boxes that serve the environment now, once every termination under way has finished. */
  async function served(): Promise<FakeInstance[]> {
    await settle(world);
    return liveInstances(world);
  }
  /** The old box and its data are never lost: it still runs with them, or a box that does hold them replaced it. */
  function dataKept(): void {
    const live = liveInstances(world);
    if (live.includes(old)) expect(old.box.data.rows, 'the old box keeps its data').to.deep.equal(OLD_ROWS);
    else expect(live.map((i) => i.box.data.rows), 'the old box went only once its successor held its data').to.deep.include(OLD_ROWS);
    expect(kept(world), 'nothing a live box uses is undone').to.deep.equal({ role: true, profile: true, group: true, secrets: SECRET_NAMES.length });
  }
  /** The same command again, after what the operator is told to do (remove a lock left behind, once EC2's describe lag passed): one healthy box with the old data. */
  async function rerunConverges(): Promise<void> {
    world.onCall = undefined;
    world.crash = undefined;
    world.dead = false;
    world.params.delete(LOCK);
    fake.clock.advance(world.timing.describeLagMs);
    await provision(REPLACE, cliDeps(fake));
    const [box, ...more] = await served();
    expect(more.map((i) => i.id), 'one box serves').to.deep.equal([]);
    expect(box!.box.data.rows, 'with the old box’s data').to.deep.equal(OLD_ROWS);
    // A retired box's one-shot stays until it fires at a terminated instance and deletes itself (ActionAfterCompletion DELETE).
    expect([...world.schedules.keys()], 'its off-box expiry guard').to.include(`pillbox-dev-expiry-${box!.id}`);
    expect(world.params.has(LOCK), 'the lock is released').to.equal(false);
  }

  it('knows every mutating call of a default --replace', async () => {
    await provision(REPLACE, cliDeps(fake));
    expect(world.log.filter((n) => MUTATING.test(n))).to.deep.equal(REPLACE_MUTATIONS);
    expect(await served()).to.have.length(1);
  });

  it('holds the lock until the old box retires: a provision started while the replacement boots is refused and leaves it alone', async () => {
    let second: Promise<unknown> | undefined;
    let launched = false;
    world.onCall = (name) => {
      if (name === 'RunInstances') launched = true;
      else if (launched && name === 'SendCommand' && !second) second = provision(['--env', 'dev', '--ci'], cliDeps(fake)).then(() => undefined, (err: unknown) => err);
    };
    await provision(REPLACE, cliDeps(fake));
    const refused = (await second) as Error | undefined;
    expect(refused?.message).to.match(/^Environment "dev" is locked by /);
    const [box, ...more] = await served();
    expect(more, 'one box serves').to.deep.equal([]);
    expect(box!.id).not.to.equal(old.id);
    expect(box!.box.data.rows).to.deep.equal(OLD_ROWS);
  });

  it('terminates a replacement whose expiry guard cannot be armed, and the old box keeps serving (teardown would remove both)', async () => {
    failAt(world, 'CreateSchedule', 1, FAULTS.AccessDenied('scheduler:CreateSchedule'));
    const err = (await replace()) as Error & { hint?: string };
    const successor = world.instances.find((i) => i !== old)!;
    expect(err.message).to.match(new RegExp(`^The replacement box failed right after its launch: AWS denied the request: .+\n${old.id} keeps serving; ${successor.id} was terminated\\.$`));
    expect(err.hint).not.to.include('teardown');
    expect(await served()).to.deep.equal([old]);
  });

  it('asks EC2 again while it does not know the failed replacement yet, and gives up after 5 minutes saying the box may run', async () => {
    // EC2's "Eventual consistency" page: NotFound from TerminateInstances does not mean the instance was or will be terminated.
    world.timing.describeLagMs = 10 * 60_000;
    fake.clock.advance(world.timing.describeLagMs);
    failAt(world, 'CreateSchedule', 1, FAULTS.AccessDenied('scheduler:CreateSchedule'));
    const started = fake.clock.now();
    const err = (await replace()) as Error;
    const successor = world.instances.find((i) => i !== old)!;
    expect(err.message).to.match(new RegExp(`\\n${old.id} keeps serving; ${successor.id} could NOT be terminated \\(.*did not terminate within 5 min.*\\): \`npm run status\` shows it\\.$`));
    expect(world.log.filter((n) => n === 'TerminateInstances').length, 'asked again every 5 s').to.be.greaterThan(50);
    expect(fake.clock.now() - started, 'bounded: 5 min of asking, beside the run itself').to.be.lessThan(7 * 60_000);
    expect(successor.terminatingAt, 'EC2 never took the request').to.equal(undefined);
  });

  it('says both boxes run, and which a re-run keeps, when the old box cannot be retired', async () => {
    failAt(world, 'TerminateInstances', 1, FAULTS.AccessDenied('ec2:TerminateInstances'));
    const err = (await replace()) as Error & { hint?: string };
    const successor = world.instances.find((i) => i !== old)!;
    expect(err.message).to.match(new RegExp(`\nThe replacement ${successor.id} is healthy and holds the data, but ${old.id} could not be retired: both keep running\\.$`));
    expect(err.hint).to.match(new RegExp(`Then run \`npm run provision -- --env dev\` again: it keeps ${old.id} and terminates the other\\.$`));
    await provision(['--env', 'dev', '--ci'], cliDeps(fake));
    expect(await served()).to.deep.equal([old]);
    expect(old.box.data.rows).to.deep.equal(OLD_ROWS);
  });

  it('with a domain, keeps the box the address was moved to when the old one cannot be retired', async () => {
    const DOMAIN = ['--env', 'dev', '--ci', '--domain', 'app.example.com'];
    await provision(DOMAIN, cliDeps(fake));
    fake.clock.advance(world.timing.describeLagMs);
    failAt(world, 'TerminateInstances', 1, FAULTS.AccessDenied('ec2:TerminateInstances'));
    const err = (await provision([...DOMAIN, '--replace'], cliDeps(fake)).catch((e: unknown) => e)) as Error & { hint?: string };
    const successor = world.instances.find((i) => i !== old)!;
    expect(world.addresses[0]?.instanceId, 'the address moved before the retirement').to.equal(successor.id);
    expect(err.hint).to.match(new RegExp(`it keeps ${successor.id} and terminates the other\\.$`));
    world.onCall = undefined;
    await provision(DOMAIN, cliDeps(fake));
    expect(await served()).to.deep.equal([successor]);
    expect(successor.box.data.rows).to.deep.equal(OLD_ROWS);
  });

  for (const [command, occurrence] of pointsOf(REPLACE_MUTATIONS)) {
    it(`dies at ${command} #${occurrence}: the old box or a successor holding its data serves, and a re-run converges`, async () => {
      world.crash = { command, occurrence };
      await replace();
      expect(world.dead, 'the crash point was reached').to.equal(true);
      dataKept();
      await rerunConverges();
    });
  }

  for (const [fault, make] of Object.entries(FAULTS)) {
    for (const [command, occurrence] of pointsOf(REPLACE_MUTATIONS)) {
      it(`${fault} at ${command} #${occurrence}: said, the old box or a successor holding its data serves, and a re-run converges`, async () => {
        failAt(world, command, occurrence, make(command));
        const err = await replace();
        expect(world.calls.get(command) ?? 0, 'the fault point was reached').to.be.at.least(occurrence);
        if (err !== undefined) expect(formatError(err, false)).to.match(/^✖ .+\n[^]*→ .+\n$/).and.not.include('This is unexpected');
        if (command === 'DeleteParameter') expect(world.params.has(LOCK), 'releasing the lock is what failed').to.equal(true);
        else expect(world.params.has(LOCK), 'the lock is released').to.equal(false);
        dataKept();
        await rerunConverges();
      });
    }
  }
});
