// The windows where a provision dies or fails half-way: a RunInstances whose answer is lost,
// a Ctrl-C or a cancelled CI job (a real signal delivered to this process mid-run), and a
// failure once the box exists.
import { expect } from 'chai';
import { interruptOn } from '../../../scripts/lib/core/interrupt.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { awsError, failNext, liveInstances, loseAnswer, rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from './fixtures.js';

/** The environment's resources outside the bucket (the source archive is kept for the next run). */
const leftInAws = (world: World): string[] => [
  ...liveInstances(world).map((i) => `instance ${i.id}`),
  ...world.groups.map((g) => `group ${g.id}`),
  ...[...world.roles.keys()].map((r) => `role ${r}`),
  ...[...world.profiles.keys()].map((p) => `profile ${p}`),
  ...[...world.params.keys()].map((p) => `parameter ${p}`),
  ...[...world.schedules.keys()].map((s) => `schedule ${s}`),
];

describe('provision’s crash windows', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('finds the box a RunInstances with a lost answer launched, by its ClientToken, and undoes nothing under it', async () => {
    loseAnswer(world, 'RunInstances');
    const err = await rejection(provision(aConfig(), depsFor(fake)));
    const [box] = liveInstances(world);
    expect(box, 'the launch took effect').to.not.equal(undefined);
    expect(err.message).to.include(`The box ${box!.id} was launched and keeps running`);
    expect(world.roles.has('pillbox-dev-instance'), 'its role stays').to.equal(true);
    expect(world.profiles.has('pillbox-dev-instance'), 'its profile stays').to.equal(true);
    expect(world.log).to.include('DescribeInstances');
    expect([...world.schedules.keys()], 'its off-box guard is armed before the error').to.deep.equal([`pillbox-dev-expiry-${box!.id}`]);
    // A re-run with another token keeps that box rather than launching a second one.
    await provision(aConfig(), depsFor(fake, { runId: 'run00002' }));
    expect(liveInstances(world)).to.have.length(1);
  });

  it('finds a lost launch that DescribeInstances shows only after its lag', async () => {
    world.timing.describeLagMs = 20_000;
    loseAnswer(world, 'RunInstances');
    const err = await rejection(provision(aConfig(), depsFor(fake)));
    expect(err.message).to.include(`The box ${liveInstances(world)[0]!.id} was launched and keeps running`);
    expect(world.roles.has('pillbox-dev-instance')).to.equal(true);
  });

  it('undoes nothing when EC2 cannot say whether the lost launch made a box, and lists what the run made', async () => {
    loseAnswer(world, 'RunInstances');
    world.onCall = (command) => {
      if (command === 'RunInstances') failNext(world, 'DescribeInstances', awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    };
    const err = await rejection(provision(aConfig(), depsFor(fake)));
    expect(err.message).to.match(/\nWhether a box was launched anyway could not be checked \(UnauthorizedOperation: You are not authorized to perform this operation\.\), so nothing was undone; this run made: security group sg-\w+; instance profile pillbox-dev-instance; role pillbox-dev-instance; role pillbox-dev-scheduler; \d+ secret\(s\) under \/pillbox\/dev\/secrets\.$/);
    expect(err.hint).to.include('npm run teardown -- --env dev');
    expect(world.roles.has('pillbox-dev-instance'), 'IAM left alone').to.equal(true);
    expect(world.profiles.has('pillbox-dev-instance')).to.equal(true);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`on ${signal} before the launch, undoes what this run made and releases the lock`, async () => {
      const interrupt = interruptOn(process, [signal]);
      world.onCall = (command) => {
        if (command === 'CreateSecurityGroup') process.emit(signal);
      };
      try {
        const err = await rejection(provision(aConfig(), depsFor(fake, { signal: interrupt.signal })));
        expect(err.message).to.equal(`Interrupted (${signal}).`);
      } finally {
        interrupt.dispose();
      }
      expect(world.log).to.not.include('RunInstances');
      expect(leftInAws(world)).to.deep.equal([]);
      expect(world.params.has('/pillbox/dev/lock'), 'the lock is released').to.equal(false);
    });
  }

  it('on a signal after the launch, stops waiting and says which box runs, what it costs, until when, and what to run', async () => {
    const interrupt = interruptOn(process, ['SIGTERM']);
    let sent = false;
    world.onCall = (command) => {
      // Once: a second signal ends the process at once.
      if (command === 'DescribeInstanceInformation' && !sent) sent = process.emit('SIGTERM');
    };
    let err: Error & { hint?: string };
    try {
      err = await rejection(provision(aConfig(), depsFor(fake, { signal: interrupt.signal })));
    } finally {
      interrupt.dispose();
    }
    const [box] = liveInstances(world);
    expect(err.message).to.match(new RegExp(`^Interrupted \\(SIGTERM\\)\\.\\nThe box ${box!.id} was launched and keeps running: \\$0\\.\\d{4}/h until it expires at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\.$`));
    expect(err.hint).to.include('`npm run teardown -- --env dev` removes it');
    expect(world.params.has('/pillbox/dev/lock')).to.equal(false);
  });

  it('stops a wait at once on the first signal: the agent’s (up to 13 min) does not hold Ctrl-C', async () => {
    world.timing.agentOnlineMs = 3_600_000;
    const interrupt = interruptOn(process, ['SIGINT']);
    let at: number | undefined;
    world.onCall = (command) => {
      if (command === 'DescribeInstanceInformation' && at === undefined) {
        at = fake.clock.now();
        process.emit('SIGINT');
      }
    };
    let err: Error;
    try {
      err = await rejection(provision(aConfig(), depsFor(fake, { signal: interrupt.signal })));
    } finally {
      interrupt.dispose();
    }
    expect(err.message).to.match(/^Interrupted \(SIGINT\)\.\nThe box i-\w+ was launched/);
    expect(fake.clock.now() - at!, 'no further 5 s poll').to.be.below(5_000);
  });

  it('names the running box, its hourly cost and expiry when arming its schedule fails after the launch', async () => {
    failNext(world, 'CreateSchedule', awsError('InternalServerException', 'Unexpected error'));
    const err = await rejection(provision(aConfig(), depsFor(fake)));
    const [box] = liveInstances(world);
    expect(err.message).to.match(new RegExp(`\\nThe box ${box!.id} was launched and keeps running: \\$0\\.0\\d{3}/h until it expires at `));
    expect(err.hint).to.include('`npm run status -- --env dev` shows it');
  });
});

describe('provision before it creates anything', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('stops when the permissions boundary does not exist, naming how to create it, with no bucket, upload or role made', async () => {
    world.boundaryMissing = true;
    const err = await rejection(provision(aConfig(), depsFor(fake)));
    expect(err.message).to.equal('The permissions boundary arn:aws:iam::123456789012:policy/pillbox-boundary does not exist; every role pillbox creates must carry it.');
    expect(err.hint).to.include('aws iam create-policy --policy-name pillbox-boundary --policy-document file://permissions-boundary.json');
    expect(world.log.filter((c) => /^(Create|Put)/.test(c))).to.deep.equal([]);
    expect(world.buckets.size).to.equal(0);
  });
});
