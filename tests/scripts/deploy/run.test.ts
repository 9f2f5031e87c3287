import { PassThrough } from 'node:stream';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { fakeClock } from '../fakes/fake-clock.js';
import { ssmRunner } from '../../../scripts/lib/box/ssm-output.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { Progress } from '../../../scripts/lib/core/progress.js';
import { deployApp } from '../../../scripts/lib/deploy/run.js';
import { fakeBox, type Reply, type SsmMock } from '../fakes/fake-box.js';

const OLD = '1111111111111111111111111111111111111111';
const NEW = '2222222222222222222222222222222222222222';
const OLD_IMAGE = 'sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const SOURCE = { sha: NEW, key: `envs/dev/source/${NEW}.tar.gz`, sha256: 'c'.repeat(64), bytes: 1234 };
const COMPOSE =
  'docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env';

/** Names each line the box received, so a flow reads as a list of steps. */
function stepOf(line: string): string {
  if (line.includes('/opt/pillbox/.pillbox-commit')) return 'observe';
  if (line.startsWith('/usr/local/sbin/pillbox-source fetch')) return 'fetch';
  if (line === `/usr/local/sbin/pillbox-source activate ${NEW}`) return 'checkout new';
  if (line === `/usr/local/sbin/pillbox-source activate ${OLD}`) return 'checkout old';
  if (line === `docker image tag ${OLD_IMAGE} pillbox-app:rollback`) return 'tag rollback';
  if (line === `docker image tag ${OLD_IMAGE} pillbox-app`) return 'restore image';
  if (line === `${COMPOSE} build app`) return 'build';
  if (line.includes('docker rm --force')) return 'remove canary';
  if (line === `${COMPOSE} run --detach --no-deps --name pillbox-app-canary app`) return 'start canary';
  if (line.includes('/readyz')) return 'canary ready?';
  // Logs are read through the paging capture; the fake box hands the handler the inner command.
  if (line.includes('pillbox-output-')) return line.includes('docker logs') ? 'canary logs' : 'app logs';
  if (line === 'docker logs --tail 200 pillbox-app-canary') return 'canary logs';
  if (line === `${COMPOSE} logs --no-color --tail 200 app`) return 'app logs';
  if (line === `${COMPOSE} up --detach --no-deps --wait --wait-timeout 120 app`) return 'swap';
  return `?? ${line}`;
}

type Faults = Partial<Record<string, Reply | Reply[]>>;

describe('deploy', () => {
  let ssm: SsmMock;
  beforeEach(() => (ssm = mockClient(SSMClient)));
  afterEach(() => ssm.restore());

  async function deploy(faults: Faults = {}, observed = `${OLD}\n${OLD_IMAGE} pillbox-app\n`, { beforeChange, recordFails }: { beforeChange?: (from: string) => Promise<void>; recordFails?: Error } = {}) {
    const recorded: string[] = [];
    const recordCommit = async (sha: string) => {
      if (recordFails) throw recordFails;
      recorded.push(sha);
    };
    const seen = new Map<string, number>();
    const box = fakeBox(ssm, (line) => {
      const step = stepOf(line);
      if (step === 'observe') return { stdout: observed };
      const n = seen.get(step) ?? 0;
      seen.set(step, n + 1);
      const fault = faults[step];
      const reply = Array.isArray(fault) ? fault[n] : fault;
      if (reply) return reply;
      if (step.endsWith('logs')) return { stdout: `${step} line 1\n${step} line 2\n` };
      return { stdout: '' };
    });
    const out = new PassThrough();
    let progressText = '';
    out.on('data', (c: Buffer) => (progressText += c.toString()));
    const run = ssmRunner(new SSMClient({ region: 'eu-west-1' }), 'i-0abc', { clock: fakeClock() });
    let result: unknown;
    let error: unknown;
    try {
      result = await deployApp({ run, progress: new Progress({ stream: out }), newId: () => 'deadbeef', beforeChange, recordCommit }, { source: SOURCE, healthTimeoutSeconds: 120 });
    } catch (err) {
      error = err;
    }
    return { result, error: error as OperatorError | undefined, steps: box.lines().map(stepOf), lines: box.lines(), progress: () => progressText, recorded };
  }

  it('fetches, builds, proves a canary ready, then swaps the app, in that order', async () => {
    const { result, steps, error } = await deploy();
    expect(error).to.equal(undefined);
    expect(steps).to.deep.equal(['observe', 'fetch', 'tag rollback', 'checkout new', 'build', 'remove canary', 'start canary', 'canary ready?', 'remove canary', 'swap']);
    expect(result).to.deep.equal({ status: 'deployed', from: OLD, to: NEW, previousImage: OLD_IMAGE });
  });

  it('sends the exact source and compose commands', async () => {
    const { lines } = await deploy();
    expect(lines).to.include(`/usr/local/sbin/pillbox-source fetch ${NEW} ${'c'.repeat(64)} envs/dev/source/${NEW}.tar.gz`);
    expect(lines).to.include(`/usr/local/sbin/pillbox-source activate ${NEW}`);
    expect(lines).to.include(`${COMPOSE} build app`);
    expect(lines).to.include(`${COMPOSE} up --detach --no-deps --wait --wait-timeout 120 app`);
    expect(lines.find((l) => l.includes('/readyz'))).to.match(/' sh pillbox-app-canary http:\/\/127\.0\.0\.1:3000\/readyz 120$/);
  });

  it('does nothing when the box already runs the commit', async () => {
    const { result, steps } = await deploy({}, `${NEW}\n${OLD_IMAGE} pillbox-app\n`);
    expect(result).to.deep.equal({ status: 'unchanged', commit: NEW });
    expect(steps).to.deep.equal(['observe']);
  });

  it('keeps the old version serving and restores image and commit when the canary never gets ready', async () => {
    const { error, steps } = await deploy({ 'canary ready?': { exitCode: 1, stderr: 'the canary pillbox-app-canary was not ready after 120s\n' } });
    expect(error).to.be.instanceOf(OperatorError);
    expect(steps).to.not.include('swap');
    expect(steps.slice(-4)).to.deep.equal(['canary logs', 'remove canary', 'restore image', 'checkout old']);
    expect(error?.message).to.contain('never became ready; 1111111 kept serving throughout');
    expect(error?.message).to.contain('canary logs line 2');
    expect(error?.message).to.contain('was not ready after 120s');
  });

  it('rolls back to the previous image and swaps it in again when the new app fails its healthcheck', async () => {
    const { error, steps } = await deploy({ swap: [{ exitCode: 1, stderr: 'container pillbox-app-1 is unhealthy\n' }, {}] });
    expect(steps.slice(-5)).to.deep.equal(['swap', 'app logs', 'restore image', 'checkout old', 'swap']);
    expect(error?.message).to.contain('did not turn healthy after the swap; 1111111 is serving again');
    expect(error?.message).to.contain('app logs line 2');
    expect(error?.message).to.contain('is unhealthy');
  });

  it('says the app is down when the rollback does not turn healthy either', async () => {
    const { error } = await deploy({ swap: [{ exitCode: 1, stderr: 'unhealthy' }, { exitCode: 1, stderr: 'unhealthy' }] });
    expect(error?.message).to.contain('the app is DOWN');
    expect(error?.hint).to.contain('systemctl restart pillbox.service');
  });

  it('restores the commit and image tag when the build fails, without touching the serving app', async () => {
    const { error, steps } = await deploy({ build: { exitCode: 17, stderr: 'step 4/9: npm ci\nnpm error code E404\n' } });
    expect(steps).to.deep.equal(['observe', 'fetch', 'tag rollback', 'checkout new', 'build', 'restore image', 'checkout old']);
    expect(error?.message).to.contain('stopped before the app was touched; 1111111 keeps serving');
    expect(error?.message).to.contain('npm error code E404');
  });

  it('changes nothing when the box cannot fetch the source archive', async () => {
    const { error, steps } = await deploy({ fetch: { exitCode: 65, stderr: `checksum mismatch: s3://b/envs/dev/source/${NEW}.tar.gz has SHA-256 0, expected c\n` } });
    expect(steps).to.deep.equal(['observe', 'fetch']);
    expect(error?.message).to.match(/could not fetch the source archive of 2222222[\s\S]*checksum mismatch/);
    expect(error?.hint).to.contain('--replace');
  });

  it('runs beforeChange (the pre-deploy backup) with the serving commit, before the box changes', async () => {
    const calls: string[] = [];
    const { steps } = await deploy({}, undefined, { beforeChange: async (from) => void calls.push(from) });
    expect(calls).to.deep.equal([OLD]);
    expect(steps[1]).to.equal('fetch');
  });

  it('changes nothing when beforeChange fails, and skips it when the box already runs the commit', async () => {
    const failing = await deploy({}, undefined, {
      beforeChange: async () => {
        throw new OperatorError('The backup failed on the box (exit 1)', 'x');
      },
    });
    expect(failing.error?.message).to.equal('The backup failed on the box (exit 1)');
    expect(failing.steps).to.deep.equal(['observe']);
    const calls: string[] = [];
    await deploy({}, `${NEW}\n${OLD_IMAGE} pillbox-app\n`, { beforeChange: async (from) => void calls.push(from) });
    expect(calls).to.deep.equal([]);
  });

  it('refuses a box that runs a prebuilt image, touching nothing', async () => {
    const { error, steps } = await deploy({}, `${OLD}\n${OLD_IMAGE} ghcr.io/acme/pillbox-app:3f2a1c0\n`);
    expect(steps).to.deep.equal(['observe']);
    expect(error?.message).to.contain('runs the prebuilt image ghcr.io/acme/pillbox-app:3f2a1c0');
    expect(error?.hint).to.contain('--app-image');
  });

  it('explains a box without an app container', async () => {
    fakeBox(ssm, () => ({ exitCode: 3, stderr: 'no app container on the box' }));
    const run = ssmRunner(new SSMClient({ region: 'eu-west-1' }), 'i-0abc', { clock: fakeClock() });
    const progress = new Progress({ stream: new PassThrough() });
    let caught: unknown;
    await deployApp({ run, progress, newId: () => 'deadbeef', recordCommit: async () => undefined }, { source: SOURCE, healthTimeoutSeconds: 120 }).catch((err: unknown) => (caught = err));
    expect(caught).to.be.instanceOf(OperatorError);
    expect((caught as OperatorError).hint).to.contain('systemctl restart pillbox.service');
  });

  it('shows each step as it happens', async () => {
    const { progress } = await deploy();
    expect(progress()).to.match(/▸ Build the app image\n✓ Build the app image/);
    expect(progress()).to.contain('✓ Replace the app (old one drains, new one must turn healthy)');
  });

  describe('the deployed commit (GitSha tag, shown by npm run status)', () => {
    it('is recorded once the new version serves', async () => {
      const { recorded, error } = await deploy();
      expect(error).to.equal(undefined);
      expect(recorded).to.deep.equal([NEW]);
    });

    it('is not recorded when the new version never becomes ready', async () => {
      const { recorded, error } = await deploy({ 'canary ready?': { exitCode: 1, stderr: 'the canary was not ready after 120s' } });
      expect(error?.message).to.contain('never became ready');
      expect(recorded).to.deep.equal([]);
    });

    it('is recorded again when the box already runs it, so a tag write that failed before converges', async () => {
      const { recorded, result } = await deploy({}, `${NEW}\n${OLD_IMAGE} pillbox-app\n`);
      expect(result).to.deep.equal({ status: 'unchanged', commit: NEW });
      expect(recorded).to.deep.equal([NEW]);
    });

    it('says the box serves the new commit when the tag write fails, and that a rerun fixes the tag', async () => {
      const { error, steps } = await deploy({}, undefined, { recordFails: Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation' }) });
      expect(steps.at(-1)).to.equal('swap');
      expect(error?.message).to.equal(
        'The box serves 2222222, but its GitSha tag could not be updated (AWS denied the request: You are not authorized to perform this operation.); `npm run status` shows the old commit.',
      );
      expect(error?.hint).to.contain('Run the same deploy again');
    });
  });
});
