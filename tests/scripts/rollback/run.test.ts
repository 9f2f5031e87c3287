import { PassThrough } from 'node:stream';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { ssmRunner } from '../../../scripts/lib/box/ssm-output.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { Progress } from '../../../scripts/lib/core/progress.js';
import { rollbackApp } from '../../../scripts/lib/rollback/run.js';
import { fakeBox, type Reply, type SsmMock } from '../fakes/fake-box.js';
import { fakeClock } from '../fakes/fake-clock.js';
import { SWAP_STEPS, swapStepOf } from '../fakes/swap-steps.js';

const SERVING = '2222222222222222222222222222222222222222';
const PREVIOUS = '1111111111111111111111111111111111111111';
const SERVING_IMAGE = 'sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const PREVIOUS_IMAGE = 'sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

/** Names each line the box received; anything unexpected shows as `?? <line>`. */
function stepOf(line: string): string {
  if (line.includes('/opt/pillbox/.pillbox-commit')) return 'observe';
  if (line.endsWith(' sh /var/lib/pillbox/rollback.commit pillbox-app:rollback /var/lib/pillbox/releases .pillbox-commit')) return 'rollback target';
  if (line === `docker image tag ${PREVIOUS_IMAGE} pillbox-app`) return 'retag previous';
  if (line === `docker image tag ${SERVING_IMAGE} pillbox-app`) return 'restore image';
  if (line === `/usr/local/sbin/pillbox-source activate ${PREVIOUS}`) return 'checkout previous';
  if (line === `/usr/local/sbin/pillbox-source activate ${SERVING}`) return 'checkout serving';
  return swapStepOf(line, 90) ?? `?? ${line}`;
}

describe('rollback', () => {
  let ssm: SsmMock;
  beforeEach(() => (ssm = mockClient(SSMClient)));
  afterEach(() => ssm.restore());

  async function rollback(faults: Partial<Record<string, Reply>> = {}, target: Reply = { stdout: `${PREVIOUS}\n${PREVIOUS_IMAGE}\n` }, tagFault?: Error) {
    // Each GitSha write lands here, in order with the box's lines, so the test sees where it happened.
    const events: string[] = [];
    let routed = 'app';
    fakeBox(ssm, (line) => {
      const step = stepOf(line);
      events.push(step);
      if (faults[step]) return faults[step];
      if (step === 'observe') return { stdout: `${SERVING}\n${SERVING_IMAGE} pillbox-app\n` };
      if (step === 'rollback target') return target;
      if (step === 'route?') return { stdout: `${routed}\n` };
      if (step.startsWith('route ')) routed = step.slice(6);
      return { stdout: '' };
    });
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const run = ssmRunner(new SSMClient({ region: 'eu-west-1' }), 'i-0abc', { clock: fakeClock() });
    const recordCommit = async (sha: string) => {
      if (tagFault) throw tagFault;
      events.push(`GitSha ${sha}`);
    };
    try {
      const result = await rollbackApp({ run, progress: new Progress({ stream: out }), newId: () => 'deadbeef', recordCommit }, { healthTimeoutSeconds: 90 });
      return { result, events, routed: () => routed, error: undefined, progress: () => text };
    } catch (err) {
      return { result: undefined, events, routed: () => routed, error: err as OperatorError, progress: () => text };
    }
  }

  it('re-tags the kept image, activates its release, swaps it in blue/green, then records its commit, in that order', async () => {
    const { result, events, error, routed } = await rollback();
    expect(error).to.equal(undefined);
    expect(events).to.deep.equal(['observe', 'rollback target', 'route?', 'pause alerts', 'retag previous', 'checkout previous', ...SWAP_STEPS, 'resume alerts', `GitSha ${PREVIOUS}`]);
    expect(result).to.deep.equal({ from: SERVING, to: PREVIOUS, image: PREVIOUS_IMAGE });
    expect(routed()).to.equal('app');
  });

  it('refuses in one line, changing nothing, when the box has no rollback recorded (fault: no rollback.commit)', async () => {
    const { error, events } = await rollback({}, { exitCode: 3, stderr: 'no rollback recorded\n' });
    expect(error).to.be.instanceOf(OperatorError);
    expect(error?.message).to.equal('Nothing to roll back to: no rollback recorded.');
    expect(error?.hint).to.contain('npm run deploy');
    expect(events).to.deep.equal(['observe', 'rollback target']);
  });

  it('refuses when the box already serves the kept commit (fault: a second rollback, or a deploy that restored itself)', async () => {
    const { error, events } = await rollback({}, { stdout: `${SERVING}\n${SERVING_IMAGE}\n` });
    expect(error?.message).to.equal('Nothing to roll back to: the box already serves 2222222, the version the last deploy kept.');
    expect(events).to.deep.equal(['observe', 'rollback target']);
  });

  it('restores the serving image and release and records nothing when the previous version never gets ready (fault: ready app-next fails)', async () => {
    const { error, events, routed } = await rollback({ 'ready app-next': { exitCode: 1, stderr: 'app-next was not ready after 90s\n' } });
    expect(error?.message).to.contain('The previous version (1111111) never became ready; 2222222 kept serving throughout');
    expect(events.slice(-5)).to.deep.equal(['app logs', 'restore image', 'checkout serving', 'stop app-next', 'resume alerts']);
    expect(events.some((e) => e.startsWith('GitSha'))).to.equal(false);
    expect(routed()).to.equal('app');
  });

  it('says it could not read the box when reading the kept version fails otherwise, changing nothing', async () => {
    const { error, events } = await rollback({}, { exitCode: 1, stderr: 'first\nsh: permission denied\n' });
    expect(error?.message).to.equal("Could not read the box's state: sh: permission denied");
    expect(error?.hint).to.equal('Check the box with `npm run status`.');
    expect(events).to.deep.equal(['observe', 'rollback target']);
  });

  it('puts the serving image and release back when the kept image cannot be tagged, and says how to go on', async () => {
    const { error, events } = await rollback({ 'retag previous': { exitCode: 1, stderr: 'Error response from daemon: No such image: pillbox-app:rollback\n' } });
    expect(error?.message).to.equal('The previous version (1111111) stopped before the app was touched; 2222222 keeps serving.\n--- docker image tag said ---\nError response from daemon: No such image: pillbox-app:rollback');
    expect(error?.hint).to.equal('Check the box with `npm run status`, then run the rollback again.');
    expect(events).to.deep.equal(['observe', 'rollback target', 'route?', 'pause alerts', 'retag previous', 'restore image', 'checkout serving', 'resume alerts']);
  });

  it('says how to finish when the rolled-back box serves but its commit cannot be recorded (fault: CreateTags denied)', async () => {
    const { error, routed } = await rollback({}, undefined, Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation' }));
    expect(error?.message).to.match(/^The box serves 1111111, but its GitSha tag could not be updated/);
    expect(error?.hint).to.equal('Run the rollback again: it finds the commit in place and refuses; then `npm run deploy -- --ref <that commit>` retries the tag.');
    expect(routed()).to.equal('app');
  });

  it('names its steps as the operator sees them, and bounds each read and switch on the box to a minute', async () => {
    const { progress } = await rollback();
    const done = progress().split('\n').filter((l) => l.startsWith('✓ ')).map((l) => l.replace(/ \(\d+(\.\d+)?s\)$/, ''));
    expect(done.slice(0, 6)).to.deep.equal(['✓ Read what the box runs', '✓ Read what the last deploy kept', '✓ Read where the edge sends traffic', '✓ Pause alerts while the app is switched', '✓ Tag pillbox-app:rollback as the app image', '✓ Activate 1111111']);
    const limits = ssm.commandCalls(SendCommandCommand).map((c) => [stepOf(c.args[0].input.Parameters?.commands?.[1] ?? ''), c.args[0].input.Parameters?.executionTimeout?.[0]]);
    expect(limits.filter(([step]) => ['rollback target', 'retag previous', 'checkout previous'].includes(step ?? ''))).to.deep.equal([
      ['rollback target', '60'],
      ['retag previous', '60'],
      ['checkout previous', '60'],
    ]);
  });

  it('names the step that failed when the release cannot be activated', async () => {
    const { error } = await rollback({ 'checkout previous': { exitCode: 1, stderr: 'no such release\n' } });
    expect(error?.message).to.contain('\n--- activating the release said ---\nno such release');
  });
});
