import { expect } from 'chai';
import { DeleteParameterCommand, GetParameterCommand } from '@aws-sdk/client-ssm';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { unlockEnvironment, type UnlockDeps } from '../../../scripts/lib/unlock/run.js';
import { aWorld, fakeAws, rejection, type FakeAws, type World } from '../fakes/fake-aws.js';
import { fakeClock } from '../fakes/fake-clock.js';

const LOCK = '/pillbox/dev/lock';
const lockValue = (since: string, holder = 'bob@ci') => JSON.stringify({ holder, command: 'provision', since });

describe('unlock', () => {
  let world: World;
  let fake: FakeAws | undefined;
  afterEach(() => fake?.restore());

  /** An account where the environment's lock holds `value`, or no lock at all. */
  function account(value?: string): FakeAws {
    world = aWorld();
    if (value !== undefined) world.params.set(LOCK, { value, type: 'String', tags: [] });
    fake = fakeAws(world);
    return fake;
  }

  // The fake clock starts at 2026-11-21T10:00:00Z.
  function deps(aws: FakeAws, answer: boolean | (() => boolean) = true) {
    const lines: string[] = [];
    const questions: string[] = [];
    const d: UnlockDeps = {
      ssm: aws.clients.ssm,
      confirm: async (q) => (questions.push(q), typeof answer === 'function' ? answer() : answer),
      print: (line) => void lines.push(line),
      now: fakeClock().now,
    };
    return { d, lines, questions };
  }
  const deletes = () => (fake as FakeAws).mocks.ssm.commandCalls(DeleteParameterCommand).map((c) => c.args[0].input.Name);

  it('says there is no lock, deletes nothing and succeeds', async () => {
    const { d, lines, questions } = deps(account());
    expect(await unlockEnvironment(d, 'dev', 'eu-west-1', false)).to.equal('no-lock');
    expect(lines).to.deep.equal(['Environment "dev" has no lock in eu-west-1; nothing to remove.']);
    expect(questions).to.deep.equal([]);
    expect(deletes()).to.deep.equal([]);
  });

  it('shows who holds a stale lock and since when, asks, then deletes exactly that parameter', async () => {
    const { d, lines, questions } = deps(account(lockValue('2026-11-21T06:45:00Z')), true);
    expect(await unlockEnvironment(d, 'dev', 'eu-west-1', false)).to.equal('removed');
    expect(lines).to.deep.equal([
      'Environment "dev" is locked by bob@ci (provision since 2026-11-21T06:45:00Z), 3h 15m ago.',
      '✓ Removed the lock of "dev"; provision and teardown can run again.',
    ]);
    expect(questions).to.deep.equal(['Remove the lock?']);
    expect(deletes()).to.deep.equal([LOCK]);
    expect(world.params.has(LOCK)).to.equal(false);
  });

  it('warns that a lock younger than two hours may belong to a run still going', async () => {
    const { d, lines } = deps(account(lockValue('2026-11-21T09:50:00Z')), true);
    await unlockEnvironment(d, 'dev', 'eu-west-1', false);
    expect(lines[1]).to.equal('That run may still be going: remove its lock only if you know it has ended.');
  });

  it('still warns for a lock exactly two hours old, the age at which provision calls it stale only after', async () => {
    const { d, lines } = deps(account(lockValue('2026-11-21T08:00:00Z')), true);
    await unlockEnvironment(d, 'dev', 'eu-west-1', false);
    expect(lines[1]).to.equal('That run may still be going: remove its lock only if you know it has ended.');
  });

  it('keeps the lock when the operator answers no', async () => {
    const { d, lines } = deps(account(lockValue('2026-11-21T06:45:00Z')), false);
    expect(await unlockEnvironment(d, 'dev', 'eu-west-1', false)).to.equal('kept');
    expect(lines.at(-1)).to.equal('Left the lock in place.');
    expect(deletes()).to.deep.equal([]);
    expect(world.params.has(LOCK)).to.equal(true);
  });

  it('asks nothing with --yes', async () => {
    const { d, questions } = deps(account(lockValue('2026-11-21T06:45:00Z')), false);
    expect(await unlockEnvironment(d, 'dev', 'eu-west-1', true)).to.equal('removed');
    expect(questions).to.deep.equal([]);
    expect(deletes()).to.deep.equal([LOCK]);
  });

  it('reads the lock again after the answer and leaves a new holder alone', async () => {
    const { d } = deps(account(lockValue('2026-11-21T06:45:00Z')), () => {
      // While the operator read the question, the old lock went and a new run took it.
      world.params.set(LOCK, { value: lockValue('2026-11-21T09:59:30Z', 'carol@laptop'), type: 'String', tags: [] });
      return true;
    });
    const err = await rejection(unlockEnvironment(d, 'dev', 'eu-west-1', false));
    expect(err).to.be.instanceOf(OperatorError);
    expect(err.message).to.equal('The lock changed while you were answering: it is now held by carol@laptop (provision since 2026-11-21T09:59:30Z).');
    expect(err.hint).to.equal('Run `npm run unlock -- --env dev --region eu-west-1` again to see the new holder.');
    expect(deletes()).to.deep.equal([]);
  });

  it('succeeds when the lock was released while the operator answered', async () => {
    const { d, lines } = deps(account(lockValue('2026-11-21T06:45:00Z')), () => (world.params.delete(LOCK), true));
    expect(await unlockEnvironment(d, 'dev', 'eu-west-1', false)).to.equal('already-released');
    expect(lines.at(-1)).to.equal('The lock was released meanwhile; nothing to remove.');
    expect((fake as FakeAws).mocks.ssm.commandCalls(GetParameterCommand)).to.have.length(2);
    expect(deletes()).to.deep.equal([]);
  });

  it('describes a lock whose value it cannot read without failing', async () => {
    const { d, lines } = deps(account('not json'), true);
    expect(await unlockEnvironment(d, 'dev', 'eu-west-1', true)).to.equal('removed');
    expect(lines[0]).to.equal('Environment "dev" is locked by another run (unknown command since an unknown time), age unknown.');
  });
});
