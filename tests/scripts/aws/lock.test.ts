import * as ssm from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { acquireLock, readLock, STALE_MS, withLock, type LockInfo } from '../../../scripts/lib/aws/lock.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { awsError, failNext, rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';

const LOCK = '/pillbox/dev/lock';
const TAGS = [{ Key: 'Env', Value: 'dev' }];
const mine: LockInfo = { holder: 'alice@laptop', command: 'teardown', since: '2026-11-21T10:00:00.000Z' };

describe('the environment lock', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  const held = (info: unknown) => world.params.set(LOCK, { value: typeof info === 'string' ? info : JSON.stringify(info), type: 'String', tags: [] });
  const now = () => world.clock.now();

  it('is taken by creating its parameter without Overwrite, saying who holds it', async () => {
    await acquireLock(fake.clients.ssm, 'dev', mine, TAGS, now);
    expect(fake.mocks.ssm.commandCalls(ssm.PutParameterCommand)[0]?.args[0].input).to.deep.equal({
      Name: LOCK,
      Type: 'String',
      Value: JSON.stringify(mine),
      Description: 'pillbox dev: run lock',
      Tags: TAGS,
    });
    expect((await readLock(fake.clients.ssm, 'dev'))?.info).to.deep.equal(mine);
  });

  it('calls a lock exactly two hours old fresh and one a moment older stale', async () => {
    const since = new Date(now() - STALE_MS).toISOString();
    held({ holder: 'bob@ci', command: 'provision', since });
    const fresh = await rejection(acquireLock(fake.clients.ssm, 'dev', mine, TAGS, now));
    expect(fresh.hint).to.equal('Wait for that run to finish; if it was interrupted, remove the lock with `npm run unlock -- --env dev --region eu-west-1`.');
    const stale = await rejection(acquireLock(fake.clients.ssm, 'dev', mine, TAGS, () => now() + 1));
    expect(stale.message).to.equal(`Environment "dev" is locked by bob@ci (provision since ${since}).`);
    expect(stale.hint).to.equal('That lock is over 2 hours old, so its run probably died: remove it with `npm run unlock -- --env dev --region eu-west-1` and run again.');
  });

  it('names an unknown holder when the lock does not say who took it, and never calls it stale', async () => {
    held('not json');
    const err = await rejection(acquireLock(fake.clients.ssm, 'dev', mine, TAGS, () => now() + 10 * STALE_MS));
    expect(err).to.be.instanceOf(OperatorError);
    expect(err.message).to.equal('Environment "dev" is locked by another run (unknown command since an unknown time).');
    expect(err.hint).to.match(/^Wait for that run to finish/);
    expect((await readLock(fake.clients.ssm, 'dev'))?.value).to.equal('not json');
  });

  it('still says it is locked when the holder released it between our write and our read (the rerun takes it)', async () => {
    held(mine);
    world.onCall = (name) => {
      if (name === 'GetParameter') world.params.delete(LOCK);
    };
    const err = await rejection(acquireLock(fake.clients.ssm, 'dev', mine, TAGS, now));
    expect(err.message).to.equal('Environment "dev" is locked by another run (unknown command since an unknown time).');
  });

  it('passes through any failure to write it other than its existence', async () => {
    failNext(world, 'PutParameter', awsError('AccessDeniedException', 'not authorized to perform: ssm:PutParameter'));
    expect((await rejection(acquireLock(fake.clients.ssm, 'dev', mine, TAGS, now))).name).to.equal('AccessDeniedException');
  });

  it('reads as free when its parameter does not exist, and passes other read failures through', async () => {
    expect(await readLock(fake.clients.ssm, 'dev')).to.equal(undefined);
    failNext(world, 'GetParameter', awsError('ThrottlingException', 'Rate exceeded'));
    expect((await rejection(readLock(fake.clients.ssm, 'dev'))).name).to.equal('ThrottlingException');
  });

  describe('held around a piece of work', () => {
    it('is released when the work fails, and the failure passes up', async () => {
      const err = await rejection(
        withLock(fake.clients.ssm, 'dev', mine, TAGS, async () => {
          expect(world.params.has(LOCK)).to.equal(true);
          throw new Error('work failed');
        }),
      );
      expect(err.message).to.equal('work failed');
      expect(world.params.has(LOCK)).to.equal(false);
    });

    it('is released after the work, even when someone removed it meanwhile (npm run unlock)', async () => {
      const result = await withLock(fake.clients.ssm, 'dev', mine, TAGS, async () => (world.params.delete(LOCK), 42));
      expect(result).to.equal(42);
      expect(world.log.filter((n) => n === 'DeleteParameter')).to.have.length(1);
    });

    it('leaves another run\'s lock alone and never starts the work', async () => {
      held({ holder: 'bob@ci', command: 'provision', since: new Date(now()).toISOString() });
      let ran = false;
      await rejection(withLock(fake.clients.ssm, 'dev', mine, TAGS, async () => void (ran = true)));
      expect(ran).to.equal(false);
      expect(world.params.has(LOCK)).to.equal(true);
    });

    it('hands the release to a forced exit while the work runs, and takes it back after', async () => {
      const registered: (() => Promise<unknown>)[] = [];
      let unregistered = 0;
      const onForcedExit = (work: () => Promise<unknown>) => (registered.push(work), () => void (unregistered += 1));
      await withLock(
        fake.clients.ssm,
        'dev',
        mine,
        TAGS,
        async () => {
          expect(unregistered).to.equal(0);
          // A second Ctrl-C here: the process runs what was handed over before it exits.
          await registered[0]?.();
          expect(world.params.has(LOCK)).to.equal(false);
        },
        now,
        onForcedExit,
      );
      expect(registered).to.have.length(1);
      expect(unregistered).to.equal(1);
    });
  });
});
