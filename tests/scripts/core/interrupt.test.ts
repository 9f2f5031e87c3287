// Signals as GitHub sends them when a job is cancelled: SIGINT, SIGTERM 7.5 s later, then a
// kill 2.5 s after that. The first stops the run; the second must still release the lock.
import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { interruptOn } from '../../../scripts/lib/core/interrupt.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from '../provision/fixtures.js';

/** A process whose exit is recorded, not taken. */
function aProcess(onExit: (code: number) => void = () => {}) {
  const emitter = new EventEmitter();
  let written = '';
  const exits: number[] = [];
  const proc = Object.assign(emitter, {
    exit: ((code: number) => (exits.push(code), onExit(code))) as never,
    stderr: { write: (t: string) => ((written += t), true) } as never,
  });
  return { proc, exits, written: () => written };
}

const until = async (done: () => boolean, ms = 2_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

describe('interrupts', () => {
  it('abort the run on the first signal and exit 130 on the second, after the registered work', async () => {
    const { proc, exits, written } = aProcess();
    const interrupt = interruptOn(proc as never);
    let released = false;
    interrupt.onForcedExit(async () => void (released = true));
    proc.emit('SIGINT');
    expect(interrupt.signal.aborted).to.equal(true);
    expect(exits).to.deep.equal([]);
    expect(written()).to.equal('\nSIGINT: stopping now and undoing what this run made (again to quit within 2 s, releasing the lock)\n');
    proc.emit('SIGTERM');
    await until(() => exits.length > 0);
    expect(released).to.equal(true);
    expect(exits).to.deep.equal([130]);
    interrupt.dispose();
  });

  it('exit within the bound even when that work hangs (the runner kills 2.5 s after SIGTERM)', async () => {
    const { proc, exits } = aProcess();
    const interrupt = interruptOn(proc as never, ['SIGINT', 'SIGTERM'], 50);
    interrupt.onForcedExit(() => new Promise(() => {}));
    proc.emit('SIGINT');
    proc.emit('SIGTERM');
    await until(() => exits.length > 0, 1_000);
    expect(exits).to.deep.equal([130]);
    interrupt.dispose();
  });

  describe('during provision', () => {
    let world: World;
    let fake: FakeAws;
    useFakeAws((w, f) => ((world = w), (fake = f)));

    it('release the environment’s lock before a second signal ends the process', async () => {
      let lockAtExit: boolean | undefined;
      const { proc, exits } = aProcess(() => (lockAtExit = world.params.has('/pillbox/dev/lock')));
      const interrupt = interruptOn(proc as never);
      world.onCall = (command) => {
        if (command !== 'CreateSecurityGroup' || interrupt.signal.aborted) return;
        proc.emit('SIGINT');
        expect(world.params.has('/pillbox/dev/lock'), 'held while the run goes on').to.equal(true);
        proc.emit('SIGTERM');
      };
      const run = rejection(provision(aConfig(), depsFor(fake, { signal: interrupt.signal, onForcedExit: interrupt.onForcedExit })));
      await until(() => exits.length > 0);
      await run;
      interrupt.dispose();
      expect(exits).to.deep.equal([130]);
      expect(lockAtExit, 'released before the exit').to.equal(false);
    });
  });
});
