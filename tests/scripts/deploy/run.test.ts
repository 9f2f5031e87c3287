import { PassThrough } from 'node:stream';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { ssmRunner } from '../../../scripts/lib/box/ssm-output.js';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { Progress } from '../../../scripts/lib/core/progress.js';
import { buildCommand } from '../../../scripts/lib/deploy/plan.js';
import { deployApp } from '../../../scripts/lib/deploy/run.js';
import { secretPresentCommand, writeSmokeCommand } from '../../../scripts/lib/deploy/write-password-checks.js';
import { rejection } from '../fakes/fake-aws.js';
import { fakeBox, type Reply, type SsmMock } from '../fakes/fake-box.js';
import { fakeClock } from '../fakes/fake-clock.js';
import { COMPOSE, SWAP_STEPS, swapStepOf } from '../fakes/swap-steps.js';

const OLD = '1111111111111111111111111111111111111111';
const NEW = '2222222222222222222222222222222222222222';
const OLD_IMAGE = 'sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const SOURCE = { sha: NEW, key: `envs/dev/source/${NEW}.tar.gz`, sha256: 'c'.repeat(64), bytes: 1234 };

/** Names each line the box received, so a flow reads as a list of steps. */
function stepOf(line: string): string {
  if (line.includes('/opt/pillbox/.pillbox-commit')) return 'observe';
  if (line === "grep -q '^PILLBOX_ALLOWED_CIDR=.' /etc/pillbox/pillbox.env") return 'range?';
  if (line.startsWith('/usr/local/sbin/pillbox-source fetch')) return 'fetch';
  if (line === `/usr/local/sbin/pillbox-source activate ${NEW}`) return 'checkout new';
  if (line === `/usr/local/sbin/pillbox-source activate ${OLD}`) return 'checkout old';
  if (line.endsWith(` sh ${OLD_IMAGE} pillbox-app:rollback ${OLD} /var/lib/pillbox/rollback.commit`)) return 'tag rollback';
  if (line === `docker image tag ${OLD_IMAGE} pillbox-app`) return 'restore image';
  if (line === toShellLine(buildCommand())) return 'build';
  if (line === '/usr/local/sbin/pillbox-fetch-secrets') return 'fetch secrets';
  if (line === toShellLine(secretPresentCommand())) return 'write password on the box?';
  if (line === toShellLine(writeSmokeCommand())) return 'write smoke';
  const compare = new RegExp(`^sh -c 'record=.*' sh /var/lib/pillbox/infrastructure.commit ([0-9a-f]{40}) /var/lib/pillbox/releases ${NEW} compose/compose.yaml `, 's').exec(line);
  if (compare) return compare[1] === NEW ? 'compare with itself' : 'compare';
  const models = new RegExp(`^sh -c 'set -eu\ndir=.*' sh /var/lib/pillbox/releases/(${OLD}|${NEW}) docker compose `, 's').exec(line);
  if (models) return models[1] === OLD ? 'models old' : 'models new';
  if (line.startsWith(`sh -c 'printf `) && line.endsWith(` sh ${NEW} /var/lib/pillbox/infrastructure.commit`)) return 'record applied';
  const swap = swapStepOf(line, 120);
  if (swap) return swap;
  if (line.startsWith(`${COMPOSE} build `)) return `build ${line.slice(COMPOSE.length + 7)}`;
  if (line.startsWith(`${COMPOSE} up --detach --no-deps --force-recreate `)) return `recreate ${line.slice(`${COMPOSE} up --detach --no-deps --force-recreate `.length)}`;
  if (line === `${COMPOSE} up --detach --wait --wait-timeout 600 elasticsearch setup kibana kibana-setup apm-server heartbeat-setup heartbeat elastalert`) return 'converge backends';
  if (line.startsWith(`${COMPOSE} up `) && / (caddy|postgres)( |$)/.test(line)) return `?? up of the edge or the database: ${line}`;
  if (line.startsWith(`sh -c 'file=$1; shift; "$@" <"$file"' sh /opt/pillbox/compose/caddy/Caddyfile ${COMPOSE} exec -T `) && line.endsWith(' caddy caddy reload --config - --adapter caddyfile')) return 'reload edge';
  return `?? ${line}`;
}

type Faults = Partial<Record<string, Reply | Reply[]>>;
/** What releaseModelsCommand prints for a release: compose's JSON of the caddy service on one line, then the database's hash. */
const modelsOf = (caddy: Record<string, unknown>, postgres = 'p1') => `caddy ${JSON.stringify({ name: 'pillbox', services: { caddy } })}\npostgres ${postgres}\n`;
const CADDY = { image: 'caddy:2.11.4-alpine', environment: { PILLBOX_SITE: '203.0.113.10', GOMEMLIMIT: '64MiB' } };
const MODELS = modelsOf(CADDY);

describe('deploy', () => {
  let ssm: SsmMock;
  beforeEach(() => (ssm = mockClient(SSMClient)));
  afterEach(() => ssm.restore());

  async function deploy(
    faults: Faults = {},
    observed = `${OLD}\n${OLD_IMAGE} pillbox-app\n`,
    {
      routedAtStart = 'app',
      beforeChange,
      recordFails,
      reloadSecrets,
      writePasswordRequired,
    }: { routedAtStart?: string; beforeChange?: (from: string) => Promise<void>; recordFails?: Error; reloadSecrets?: boolean; writePasswordRequired?: boolean } = {},
  ) {
    const recorded: string[] = [];
    const recordCommit = async (sha: string) => {
      if (recordFails) throw recordFails;
      recorded.push(sha);
    };
    const seen = new Map<string, number>();
    // Where the edge sends traffic, as the route file on the box says; the route steps change it.
    let routed = routedAtStart;
    const box = fakeBox(ssm, (line) => {
      const step = stepOf(line);
      if (step === 'observe') return { stdout: observed };
      const n = seen.get(step) ?? 0;
      seen.set(step, n + 1);
      const fault = faults[step];
      const reply = Array.isArray(fault) ? fault[n] : fault;
      if (reply) return reply;
      if (step === 'route?') return { stdout: `${routed}\n` };
      if (step === 'compare') return { stdout: `from ${OLD}\n` };
      if (step === 'compare with itself') return { stdout: `from ${NEW}\n` };
      if (step.startsWith('models ')) return { stdout: MODELS };
      if (step.startsWith('route ')) routed = step.slice(6);
      if (step.endsWith('logs')) return { stdout: `${step} line 1\n${step} line 2\n` };
      if (step === 'write smoke') return { stdout: '422' };
      return { stdout: '' };
    });
    const out = new PassThrough();
    let progressText = '';
    out.on('data', (c: Buffer) => (progressText += c.toString()));
    const run = ssmRunner(new SSMClient({ region: 'eu-west-1' }), 'i-0abc', { clock: fakeClock() });
    let result: unknown;
    let error: unknown;
    // The Parameter Store change, marked by the number of box commands sent before it.
    let secretsChangedAfter: number | undefined;
    const changeSecrets = async () => void (secretsChangedAfter = box.lines().length);
    try {
      result = await deployApp(
        { run, progress: new Progress({ stream: out }), newId: () => 'deadbeef', beforeChange, changeSecrets, recordCommit },
        { source: SOURCE, healthTimeoutSeconds: 120, reloadSecrets, writePasswordRequired },
      );
    } catch (err) {
      error = err;
    }
    const steps = box.lines().map(stepOf);
    /** The box's steps with the Parameter Store change in its place. */
    const withChange = secretsChangedAfter === undefined ? steps : [...steps.slice(0, secretsChangedAfter), 'CHANGE SECRETS', ...steps.slice(secretsChangedAfter)];
    return { result, error: error as OperatorError | undefined, steps, withChange, lines: box.lines(), progress: () => progressText, routed: () => routed, recorded };
  }

  it('fetches, builds, then swaps the app blue/green behind the edge, in that order', async () => {
    const { result, steps, error, routed } = await deploy();
    expect(error).to.equal(undefined);
    expect(steps).to.deep.equal(['observe', 'range?', 'route?', 'fetch', 'pause alerts', 'tag rollback', 'checkout new', 'build', ...SWAP_STEPS, 'resume alerts', 'compare', 'record applied']);
    expect(result).to.deep.equal({ status: 'deployed', from: OLD, to: NEW, previousImage: OLD_IMAGE });
    expect(routed()).to.equal('app');
  });

  it('pauses alerts for the build and swap, saying so, and resumes them however the deploy ends', async () => {
    const ok = await deploy();
    expect(ok.progress()).to.contain('Alerts are paused while the app is switched');
    const failed = await deploy({ build: { exitCode: 17, stderr: 'npm error code E404\n' } });
    expect(failed.steps.slice(-1)).to.deep.equal(['resume alerts']);
  });

  it('goes on when the pause fails, and names the fix when the resume fails (faults: docker stop and docker start fail)', async () => {
    const { error, steps, progress } = await deploy({ 'pause alerts': { exitCode: 1, stderr: 'Cannot connect to the Docker daemon\n' }, 'resume alerts': { exitCode: 1, stderr: 'No such container: c0ffee\n' } });
    expect(error).to.equal(undefined);
    expect(steps).to.include('build');
    expect(progress()).to.contain('Alerts could not be paused (Cannot connect to the Docker daemon); going on.');
    expect(progress()).to.contain('Alerts did not resume (No such container: c0ffee): start them with `npm run exec -- start elastalert`.');
  });

  it("refuses up front, changing nothing, when the box's settings lack the allowed range, naming the fix", async () => {
    const { steps, error } = await deploy({ 'range?': { exitCode: 1 } });
    expect(steps).to.deep.equal(['observe', 'range?']);
    expect(error?.message).to.equal("The box's settings (/etc/pillbox/pillbox.env) have no PILLBOX_ALLOWED_CIDR, which the edge needs: nothing was deployed.");
    expect(error?.hint).to.equal('Run `npm run provision` once (it writes the range on the box and reloads its edge), then deploy again.');
  });

  describe('the infrastructure a release changes', () => {
    const changed = (...paths: string[]) => ({ stdout: `from ${OLD}\n${paths.map((p) => `${p}\n`).join('')}` });
    const after = (steps: string[]) => steps.slice(9 + SWAP_STEPS.length);

    it('applies what changed once the new app serves: set-up images rebuilt, changed files recreated, backends converged, the Caddyfile reloaded in place last, then the release recorded', async () => {
      const { steps, error, progress } = await deploy({ compare: changed('compose/caddy/Caddyfile', 'elk/kibana/kibana.yml', 'elk/setup') });
      expect(error).to.equal(undefined);
      expect(after(steps)).to.deep.equal(['compare', 'models new', 'models old', 'build setup kibana-setup', 'recreate kibana', 'converge backends', 'reload edge', 'record applied']);
      expect(progress()).to.contain('✓ Reload the Caddyfile in place');
    });

    it('never recreates the edge nor restarts the database when compose.yaml changed: Elastic services converge, caddy reloads with its new environment, the rest is said in one line each', async () => {
      const { steps, lines, progress, error } = await deploy({
        compare: changed('compose/compose.yaml'),
        'models new': { stdout: modelsOf({ image: 'caddy:2.11.5-alpine', environment: { ...CADDY.environment, PILLBOX_ALLOWED_CIDR: '198.51.100.0/24' } }, 'p2') },
      });
      expect(error).to.equal(undefined);
      expect(after(steps)).to.deep.equal(['compare', 'models new', 'models old', 'converge backends', 'reload edge', 'record applied']);
      expect(lines.find((l) => l.includes('caddy reload'))).to.contain(' exec -T --env PILLBOX_SITE=203.0.113.10 --env GOMEMLIMIT=64MiB --env PILLBOX_ALLOWED_CIDR=198.51.100.0/24 caddy caddy reload ');
      expect(progress()).to.contain('caddy changed (image caddy:2.11.4-alpine → caddy:2.11.5-alpine): applied at the next `sudo systemctl restart pillbox.service`');
      expect(progress()).to.contain('postgres changed: applied at the next restart (`sudo systemctl restart pillbox.service`), after `npm run backup`.');
    });

    it('replaces only the app when nothing else changed, says so, and records the release', async () => {
      const { steps, progress } = await deploy();
      expect(after(steps)).to.deep.equal(['compare', 'record applied']);
      expect(progress()).to.contain('No infrastructure configuration to apply; only the app was replaced.');
    });

    it('says the new app serves, and that the same deploy retries the rest, when a step fails; the commit is tagged, the release not recorded as applied', async () => {
      const { error, recorded, steps } = await deploy({ compare: changed('elk/kibana/kibana.yml'), 'converge backends': { exitCode: 1, stderr: 'dependency failed to start: container pillbox-kibana-1 is unhealthy' } });
      expect(recorded).to.deep.equal([NEW]);
      expect(error?.message).to.match(/^2222222 serves, but its infrastructure changes were not all applied \(Apply compose.yaml to the Elastic services and wait until they are healthy \(postgres is left as it runs\)\)\.\n--- .* said ---\n.*pillbox-kibana-1 is unhealthy/s);
      expect(error?.hint).to.match(/^Run the same deploy again: it compares with the release last applied and retries them/);
      expect(steps).to.not.include('record applied');
    });

    it('retries, on a box that already runs the commit, what the last applied release left: the record names it', async () => {
      const { steps, result } = await deploy({ 'compare with itself': changed('elk/kibana/kibana.yml') }, `${NEW}\n${OLD_IMAGE} pillbox-app\n`);
      expect(result).to.deep.equal({ status: 'unchanged', commit: NEW });
      expect(steps).to.deep.equal(['observe', 'compare with itself', 'recreate kibana', 'converge backends', 'record applied']);
    });

    it('does nothing more on a box that already runs the commit with its infrastructure applied', async () => {
      const { steps } = await deploy({}, `${NEW}\n${OLD_IMAGE} pillbox-app\n`);
      expect(steps).to.deep.equal(['observe', 'compare with itself']);
    });
  });

  it('sends the exact source and compose commands', async () => {
    const { lines } = await deploy();
    expect(lines).to.include(`/usr/local/sbin/pillbox-source fetch ${NEW} ${'c'.repeat(64)} envs/dev/source/${NEW}.tar.gz`);
    expect(lines).to.include(`/usr/local/sbin/pillbox-source activate ${NEW}`);
    expect(lines.find((l) => l.startsWith("sh -c 'set -eu"))).to.match(new RegExp(` sh pillbox-build-320m-1024m-p1-v[0-9.]+ moby/buildkit:v[0-9.]+ 320m 1024m 1 app ${COMPOSE}$`));
    expect(lines).to.include(`${COMPOSE} up --detach --no-deps --force-recreate app-next`);
    expect(lines.find((l) => l.includes('/readyz'))).to.match(/' sh app-next http:\/\/127\.0\.0\.1:3000\/readyz 120 2 docker compose /);
  });

  describe('a commit that requires WRITE_PASSWORD', () => {
    it('checks the box\'s secrets hold it before anything changes, and a write through the edge after the swap', async () => {
      const { steps, error } = await deploy({}, undefined, { writePasswordRequired: true });
      expect(error).to.equal(undefined);
      expect(steps).to.deep.equal(['observe', 'range?', 'route?', 'write password on the box?', 'fetch', 'pause alerts', 'tag rollback', 'checkout new', 'build', ...SWAP_STEPS, 'resume alerts', 'write smoke', 'compare', 'record applied']);
    });

    it('stops before the backup and any change on a box provisioned before the write password (fault: not in secrets.env nor Parameter Store)', async () => {
      let backedUp = false;
      const { error, withChange } = await deploy(
        { 'write password on the box?': { exitCode: 3, stderr: 'WRITE_PASSWORD is not in /etc/pillbox/secrets.env, nor in Parameter Store\n' } },
        undefined,
        { writePasswordRequired: true, reloadSecrets: true, beforeChange: async () => void (backedUp = true) },
      );
      expect(error).to.be.instanceOf(OperatorError);
      expect(error?.message).to.contain('The box has no WRITE_PASSWORD in its secrets');
      expect(error?.message).to.contain('Nothing was changed.');
      expect(error?.hint).to.equal('Create the missing secret with `npm run provision -- --env <env>` (it keeps the existing ones), then `npm run deploy -- --write-password reload`.');
      expect(withChange).to.deep.equal(['observe', 'range?', 'route?', 'write password on the box?']);
      expect(backedUp).to.equal(false);
    });

    it('says so when the box had to fetch its secrets again to find it, and goes on', async () => {
      const { error, progress, steps } = await deploy({ 'write password on the box?': { stdout: 'fetched\n' } }, undefined, { writePasswordRequired: true });
      expect(error).to.equal(undefined);
      expect(progress()).to.contain('The box fetched its secrets again and now holds WRITE_PASSWORD.');
      expect(steps.slice(-3)).to.deep.equal(['write smoke', 'compare', 'record applied']);
    });

    it('says only that it holds it when the box had it already, and says there was no output when the check fails silently', async () => {
      const held = await deploy({ 'write password on the box?': { stdout: '' } }, undefined, { writePasswordRequired: true });
      expect(held.progress()).to.not.contain('fetched its secrets again');
      const silent = await deploy({ 'write password on the box?': { exitCode: 3, stderr: '' } }, undefined, { writePasswordRequired: true });
      expect(silent.error?.message).to.equal('The box has no WRITE_PASSWORD in its secrets, which this commit needs (it was provisioned before writes needed a password): no output. Nothing was changed.');
      const smoke = await deploy({ 'write smoke': { exitCode: 7, stderr: '' } }, undefined, { writePasswordRequired: true });
      expect(smoke.error?.message).to.equal('2222222 serves, but the write check could not run: no output.');
    });

    it('skips both checks for a commit from before the write password', async () => {
      const { steps } = await deploy();
      expect(steps).to.not.include('write password on the box?');
      expect(steps).to.not.include('write smoke');
    });
  });

  it('swaps nothing when the box already runs the commit (only the infrastructure record is compared)', async () => {
    const { result, steps } = await deploy({}, `${NEW}\n${OLD_IMAGE} pillbox-app\n`);
    expect(result).to.deep.equal({ status: 'unchanged', commit: NEW });
    expect(steps).to.deep.equal(['observe', 'compare with itself']);
  });

  describe('with the secrets reloaded (a new write password)', () => {
    const SAME = `${NEW}\n${OLD_IMAGE} pillbox-app\n`;

    it('changes Parameter Store only after the read-only checks (what runs, the route, the box\'s secrets), then re-reads and smoke-tests', async () => {
      const { withChange, error } = await deploy({}, SAME, { reloadSecrets: true, writePasswordRequired: true });
      expect(error).to.equal(undefined);
      expect(withChange).to.deep.equal(['observe', 'range?', 'route?', 'write password on the box?', 'CHANGE SECRETS', 'pause alerts', 'fetch secrets', ...SWAP_STEPS, 'resume alerts', 'write smoke', 'compare with itself']);
    });

    it('takes no backup when the commit stays the same (no migration can run), and names the step that recreates the app', async () => {
      let backedUp = false;
      const { error, progress } = await deploy({ 'ready app-next': { exitCode: 1, stderr: 'not ready\n' } }, SAME, { reloadSecrets: true, beforeChange: async () => void (backedUp = true) });
      expect(backedUp).to.equal(false);
      expect(progress()).to.contain('✓ Fetch the secrets from Parameter Store on the box');
      expect(error?.message).to.match(/^The app with the new secrets \(2222222\) never became ready/);
    });

    it('changes nothing when the box is unreachable for the route read (fault: caddy down)', async () => {
      const { withChange, error } = await deploy({ 'route?': { exitCode: 1, stderr: 'caddy is not running\n' } }, SAME, { reloadSecrets: true, writePasswordRequired: true });
      expect(error?.message).to.contain('The edge (caddy) did not answer');
      expect(withChange).to.not.include('CHANGE SECRETS');
    });

    it('refuses a new commit on a prebuilt image before changing Parameter Store', async () => {
      const { withChange, error } = await deploy({}, `${OLD}\n${OLD_IMAGE} ghcr.io/acme/pillbox:1.0\n`, { reloadSecrets: true, writePasswordRequired: true });
      expect(error?.message).to.contain('prebuilt image ghcr.io/acme/pillbox:1.0');
      expect(error?.hint).to.contain('A write password change works on the commit the box runs');
      expect(withChange).to.deep.equal(['observe']);
    });

    it('recreates a prebuilt image on an unchanged commit with the new secrets, building nothing', async () => {
      const { withChange, error, result } = await deploy({}, `${NEW}\n${OLD_IMAGE} ghcr.io/acme/pillbox:1.0\n`, { reloadSecrets: true, writePasswordRequired: true });
      expect(error).to.equal(undefined);
      expect(result).to.deep.equal({ status: 'secrets-reloaded', commit: NEW });
      expect(withChange).to.deep.equal(['observe', 'range?', 'route?', 'write password on the box?', 'CHANGE SECRETS', 'pause alerts', 'fetch secrets', ...SWAP_STEPS, 'resume alerts', 'write smoke', 'compare with itself']);
    });

    it('says the swap did not bring the password when the write check gets 401 (fault: the app runs with other passwords)', async () => {
      const { error, routed } = await deploy({ 'write smoke': { stdout: '401' } }, SAME, { reloadSecrets: true, writePasswordRequired: true });
      expect(error).to.be.instanceOf(OperatorError);
      expect(error?.message).to.equal(`2222222 serves, but the app refused the write password in the box's secrets.env (401).`);
      expect(error?.hint).to.contain('npm run deploy -- --write-password reload');
      expect(routed()).to.equal('app');
    });

    it('reports a write check that cannot run, or answers anything but 422', async () => {
      const failed = await deploy({ 'write smoke': { exitCode: 7, stderr: 'curl: (7) Failed to connect\n' } }, SAME, { reloadSecrets: true, writePasswordRequired: true });
      expect(failed.error?.message).to.contain('the write check could not run: curl: (7) Failed to connect');
      const created = await deploy({ 'write smoke': { stdout: '201' } }, SAME, { reloadSecrets: true, writePasswordRequired: true });
      expect(created.error?.message).to.contain('answered 201, not 422');
    });

    it('swaps the same commit in again after the box re-reads its secrets, since the app reads them at start', async () => {
      const { result, steps, error, routed, recorded } = await deploy({}, SAME, { reloadSecrets: true });
      expect(error).to.equal(undefined);
      expect(steps).to.deep.equal(['observe', 'range?', 'route?', 'pause alerts', 'fetch secrets', ...SWAP_STEPS, 'resume alerts', 'compare with itself']);
      expect(result).to.deep.equal({ status: 'secrets-reloaded', commit: NEW });
      expect(routed()).to.equal('app');
      expect(recorded).to.deep.equal([NEW]);
    });

    it('re-reads them before anything else changes when the commit changes too', async () => {
      const { steps, error } = await deploy({}, undefined, { reloadSecrets: true });
      expect(error).to.equal(undefined);
      expect(steps).to.deep.equal(['observe', 'range?', 'route?', 'fetch', 'pause alerts', 'fetch secrets', 'tag rollback', 'checkout new', 'build', ...SWAP_STEPS, 'resume alerts', 'compare', 'record applied']);
    });

    it('leaves the serving app untouched and says how to retry when the box cannot read them (fault: fetch-secrets fails)', async () => {
      const { error, steps } = await deploy({ 'fetch secrets': { exitCode: 254, stderr: 'AccessDeniedException when calling GetParametersByPath\n' } }, SAME, { reloadSecrets: true });
      expect(error).to.be.instanceOf(OperatorError);
      expect(error?.message).to.contain('stopped before the app was touched');
      expect(error?.message).to.contain('\n--- fetching the secrets said ---\nAccessDeniedException');
      expect(error?.hint).to.contain('--write-password reload');
      expect(steps.filter((s) => /^(start|stop|route) /.test(s))).to.deep.equal([]);
    });
  });

  it('finishes what an interrupted deploy left: with traffic on app-next, only app comes back behind it', async () => {
    const { steps, error, routed } = await deploy({}, undefined, { routedAtStart: 'app-next' });
    expect(error).to.equal(undefined);
    expect(steps.slice(8)).to.deep.equal(['start app', 'ready app', 'route app', 'drained app-next', 'stop app-next', 'resume alerts', 'compare', 'record applied']);
    expect(routed()).to.equal('app');
  });

  it('keeps the old version serving and restores image and release when app-next never gets ready', async () => {
    const { error, steps, routed } = await deploy({ 'ready app-next': { exitCode: 1, stderr: 'app-next was not ready after 120s\n' } });
    expect(error).to.be.instanceOf(OperatorError);
    expect(steps).to.not.include('route app-next');
    expect(steps.slice(-5)).to.deep.equal(['app logs', 'restore image', 'checkout old', 'stop app-next', 'resume alerts']);
    expect(error?.message).to.contain('never became ready; 1111111 kept serving throughout');
    expect(error?.message).to.contain('app logs line 2');
    expect(error?.message).to.contain('was not ready after 120s');
    expect(routed()).to.equal('app');
  });

  it('brings the previous image back into app and the traffic with it when the new app fails while app-next serves', async () => {
    const { error, steps, routed } = await deploy({ 'ready app': [{ exitCode: 1, stderr: 'app stopped before it was ready\n' }, {}] });
    expect(steps.slice(steps.indexOf('ready app'))).to.deep.equal(['ready app', 'app logs', 'restore image', 'checkout old', 'start app', 'ready app', 'route app', 'drained app-next', 'stop app-next', 'resume alerts']);
    expect(error?.message).to.contain('did not complete the swap; 1111111 is serving again');
    expect(error?.message).to.contain('app stopped before it was ready');
    expect(routed()).to.equal('app');
  });

  it('says the rollback did not finish, and how to recover, when the previous image does not come back either', async () => {
    const { error, routed } = await deploy({ 'ready app': [{ exitCode: 1, stderr: 'unhealthy' }, { exitCode: 1, stderr: 'unhealthy' }] });
    expect(error?.message).to.contain('AND the rollback to 1111111 did not finish');
    expect(error?.hint).to.contain('systemctl restart pillbox.service');
    // The edge was never sent to an app that is not ready: app-next (the new version) keeps serving.
    expect(routed()).to.equal('app-next');
  });

  it('counts the deploy done when only removing app-next fails after traffic is back on app', async () => {
    const { error, result, steps, progress } = await deploy({ 'stop app-next': [{}, { exitCode: 1, stderr: 'Error response from daemon: removal in progress' }] });
    expect(error).to.equal(undefined);
    expect(result).to.deep.include({ status: 'deployed', to: NEW });
    expect(steps).to.not.include('restore image');
    expect(progress()).to.contain('app-next could not be removed (Error response from daemon: removal in progress); the next deploy removes it');
  });

  it('stops before touching anything when the edge does not answer', async () => {
    const { error, steps } = await deploy({ 'route?': { exitCode: 1, stderr: 'service "caddy" is not running' } });
    expect(steps).to.deep.equal(['observe', 'range?', 'route?']);
    expect(error?.message).to.contain('The edge (caddy) did not answer on the box');
    expect(error?.message).to.contain('service "caddy" is not running');
    expect(error?.hint).to.equal('Check the box with `npm run status`; `npm run logs caddy` shows why it is down.');
  });

  it('restores the commit and image tag when the build fails, without touching the serving app', async () => {
    const { error, steps } = await deploy({ build: { exitCode: 17, stderr: 'step 4/9: npm ci\nnpm error code E404\n' } });
    expect(steps).to.deep.equal(['observe', 'range?', 'route?', 'fetch', 'pause alerts', 'tag rollback', 'checkout new', 'build', 'restore image', 'checkout old', 'resume alerts']);
    expect(error?.message).to.contain('stopped before the app was touched; 1111111 keeps serving');
    expect(error?.message).to.contain('npm error code E404');
  });

  it('changes nothing when the box cannot fetch the source archive', async () => {
    const { error, steps } = await deploy({ fetch: { exitCode: 65, stderr: `checksum mismatch: s3://b/envs/dev/source/${NEW}.tar.gz has SHA-256 0, expected c\n` } });
    expect(steps).to.deep.equal(['observe', 'range?', 'route?', 'fetch']);
    expect(error?.message).to.match(/could not fetch the source archive of 2222222\.\n--- fetching the source archive said ---\nchecksum mismatch/);
    expect(error?.hint).to.contain('--replace');
  });

  it('runs beforeChange (the pre-deploy backup) with the serving commit, then the source and the swap', async () => {
    const calls: string[] = [];
    const { steps, error } = await deploy({}, undefined, { beforeChange: async (from) => void calls.push(from) });
    expect(error).to.equal(undefined);
    expect(calls).to.deep.equal([OLD]);
    expect(steps).to.deep.equal(['observe', 'range?', 'route?', 'fetch', 'pause alerts', 'tag rollback', 'checkout new', 'build', ...SWAP_STEPS, 'resume alerts', 'compare', 'record applied']);
  });

  it('changes nothing when beforeChange fails (it runs after the read-only checks, before the fetch), and skips it when the box already runs the commit', async () => {
    const failing = await deploy({}, undefined, {
      beforeChange: async () => {
        throw new OperatorError('The backup failed on the box (exit 1)', 'x');
      },
    });
    expect(failing.error?.message).to.equal('The backup failed on the box (exit 1)');
    expect(failing.steps).to.deep.equal(['observe', 'range?', 'route?']);
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
    expect((caught as OperatorError).message).to.equal('The app container does not exist on the box, so there is nothing to replace.');
    expect((caught as OperatorError).hint).to.contain('systemctl restart pillbox.service');
  });

  it('says it could not read the box, changing nothing, when reading what runs fails otherwise', async () => {
    const box = fakeBox(ssm, () => ({ exitCode: 1, stderr: 'docker: permission denied\nCannot connect to the Docker daemon\n' }));
    const run = ssmRunner(new SSMClient({ region: 'eu-west-1' }), 'i-0abc', { clock: fakeClock() });
    const err = await rejection(deployApp({ run, progress: new Progress({ stream: new PassThrough() }), newId: () => 'deadbeef', recordCommit: async () => undefined }, { source: SOURCE, healthTimeoutSeconds: 120 }));
    expect(err.message).to.equal("Could not read the box's state: Cannot connect to the Docker daemon");
    expect(err.hint).to.equal('Check the box with `npm run status`.');
    expect(box.lines().map(stepOf)).to.deep.equal(['observe']);
  });

  it('says there is nothing to deploy when the box already runs the commit', async () => {
    const { progress, result } = await deploy({}, `${NEW}\n${OLD_IMAGE} pillbox-app\n`);
    expect(result).to.deep.equal({ status: 'unchanged', commit: NEW });
    expect(progress()).to.contain('The box already runs 2222222; nothing to deploy.');
  });

  it('names what could not be put back when restoring the previous image fails too (fault: the build and the re-tag fail)', async () => {
    const { error, steps } = await deploy({ build: { exitCode: 17, stderr: '' }, 'restore image': { exitCode: 1, stderr: 'Error response from daemon: No such image\n' } });
    expect(steps.slice(-4)).to.deep.equal(['build', 'restore image', 'checkout old', 'resume alerts']);
    expect(error?.message).to.equal(
      'The new version (2222222) stopped before the app was touched; 1111111 keeps serving. Restoring the previous state also failed (docker image tag: Error response from daemon: No such image).\n--- docker compose build said ---\n(nothing)',
    );
    expect(error?.hint).to.equal('Fix the build (try `npm run build` locally) and deploy again.');
  });

  it('says the app serves and how to finish when the new release is gone from the box before its settings are read', async () => {
    const { error, recorded, steps } = await deploy({ compare: { stdout: `from ${OLD}\ncompose/caddy/Caddyfile\n` }, 'models new': { stdout: 'missing\n' } });
    expect(recorded).to.deep.equal([NEW]);
    expect(error?.message).to.equal(`2222222 serves, but its infrastructure changes were not all applied (reading the edge and database settings of 2222222).\n--- the release check said ---\nrelease ${NEW} is not on the box`);
    expect(error?.hint).to.equal('Run the same deploy again: it compares with the release last applied and retries them; `npm run logs` shows what failed.');
    expect(steps).to.not.include('record applied');
  });

  it('names every step it runs, in order, as the operator sees them', async () => {
    const { progress } = await deploy();
    const done = progress().split('\n').filter((l) => l.startsWith('✓ ')).map((l) => l.replace(/ \(\d+(\.\d+)?s\)$/, ''));
    expect(done.slice(0, 8)).to.deep.equal([
      '✓ Read what the box runs',
      "✓ Check the box's settings carry the allowed range",
      '✓ Read where the edge sends traffic',
      '✓ Fetch 2222222 on the box',
      '✓ Pause alerts while the app is switched',
      '✓ Keep the running image as pillbox-app:rollback',
      '✓ Activate 2222222',
      '✓ Build the app image',
    ]);
    expect(done.at(-1)).to.equal('✓ Record 2222222 as the deployed commit');
  });

  it('bounds each step on the box: a minute for reads and switches, three for the fetch, twenty for the build', async () => {
    await deploy({ 'ready app-next': { exitCode: 1, stderr: 'not ready\n' } });
    const limits = new Map(
      ssm.commandCalls(SendCommandCommand).map((c) => {
        const parameters = c.args[0].input.Parameters ?? {};
        return [stepOf(parameters.commands?.[1] ?? ''), parameters.executionTimeout?.[0]] as const;
      }),
    );
    expect(Object.fromEntries(['observe', 'range?', 'route?', 'fetch', 'tag rollback', 'checkout new', 'build', 'restore image', 'checkout old'].map((k) => [k, limits.get(k)]))).to.deep.equal({
      observe: '60',
      'range?': '60',
      'route?': '60',
      fetch: '180',
      'tag rollback': '60',
      'checkout new': '60',
      build: '1200',
      'restore image': '60',
      'checkout old': '60',
    });
  });

  it('runs without a backup or a secrets change when the command gives none', async () => {
    fakeBox(ssm, (line) => {
      const step = stepOf(line);
      if (step === 'observe') return { stdout: `${OLD}\n${OLD_IMAGE} pillbox-app\n` };
      if (step === 'route?') return { stdout: 'app\n' };
      if (step === 'compare') return { stdout: `from ${OLD}\n` };
      return { stdout: '' };
    });
    const run = ssmRunner(new SSMClient({ region: 'eu-west-1' }), 'i-0abc', { clock: fakeClock() });
    const result = await deployApp({ run, progress: new Progress({ stream: new PassThrough() }), newId: () => 'deadbeef', recordCommit: async () => undefined }, { source: SOURCE, healthTimeoutSeconds: 120 });
    expect(result).to.deep.equal({ status: 'deployed', from: OLD, to: NEW, previousImage: OLD_IMAGE });
  });

  it('names every restore that failed when neither the image nor the release comes back', async () => {
    const { error } = await deploy({ build: { exitCode: 17, stderr: 'E404\n' }, 'restore image': { exitCode: 1, stderr: 'No such image\n' }, 'checkout old': { exitCode: 1, stderr: 'no release\n' } });
    expect(error?.message).to.contain(` Restoring the previous state also failed (docker image tag: No such image; /usr/local/sbin/pillbox-source activate ${OLD}: no release).`);
  });

  it('says so when the app logs are empty after a failed swap, and how to go on when the old version serves again', async () => {
    const { error } = await deploy({ 'ready app': [{ exitCode: 1, stderr: 'app stopped before it was ready\n' }, {}], 'app logs': { stdout: '' } });
    expect(error?.message).to.contain("\n--- last lines of the app's logs ---\n(no output)\n--- Wait for app to answer /readyz said ---\n");
    expect(error?.hint).to.equal('Fix what the logs show, then deploy again.');
  });

  it('names the infrastructure step that failed: comparing the releases, reading their settings, or recording the applied one', async () => {
    const changed = { stdout: `from ${OLD}\ncompose/caddy/Caddyfile\n` };
    const compare = await deploy({ compare: { exitCode: 1, stderr: 'sh: cannot open\n' } });
    expect(compare.error?.message).to.match(/^2222222 serves, but its infrastructure changes were not all applied \(comparing the releases\)\./);
    const models = await deploy({ compare: changed, 'models old': { exitCode: 1, stderr: 'compose: invalid\n' } });
    expect(models.error?.message).to.match(/\(reading the edge and database settings of 1111111\)\./);
    const record = await deploy({ 'record applied': { exitCode: 1, stderr: 'read-only file system\n' } });
    expect(record.error?.message).to.match(/\(recording the applied release\)\.\n--- recording the applied release said ---\nread-only file system$/);
  });

  it('says nothing about an app-only release when the release does change infrastructure', async () => {
    const { progress, error } = await deploy({ compare: { stdout: `from ${OLD}\nelk/kibana/kibana.yml\n` } });
    expect(error).to.equal(undefined);
    expect(progress()).to.not.contain('No infrastructure configuration to apply');
  });

  it('names the box step that failed while the new version is put in place', async () => {
    const tag = await deploy({ 'tag rollback': { exitCode: 1, stderr: 'No such image\n' } });
    expect(tag.error?.message).to.contain('\n--- docker image tag said ---\nNo such image');
    const activate = await deploy({ 'checkout new': { exitCode: 1, stderr: 'no release 2222222\n' } });
    expect(activate.error?.message).to.contain('\n--- activating the release said ---\nno release 2222222');
    const models = await deploy({ compare: { stdout: `from ${OLD}\ncompose/caddy/Caddyfile\n` }, 'models new': { exitCode: 1, stderr: 'compose: invalid\n' } });
    expect(models.error?.message).to.match(/\(reading the edge and database settings of 2222222\)\.\n--- reading the edge and database settings of 2222222 said ---\ncompose: invalid$/);
  });

  it('names the write-password checks as the operator sees them, each bounded to a minute on the box', async () => {
    const { progress } = await deploy({}, undefined, { writePasswordRequired: true });
    expect(progress()).to.contain("✓ Check the box's secrets hold WRITE_PASSWORD");
    expect(progress()).to.contain('✓ Check a write through the edge takes the write password');
    const limits = ssm.commandCalls(SendCommandCommand).map((c) => [stepOf(c.args[0].input.Parameters?.commands?.[1] ?? ''), c.args[0].input.Parameters?.executionTimeout?.[0]]);
    expect(limits.filter(([step]) => step === 'write password on the box?' || step === 'write smoke')).to.deep.equal([
      ['write password on the box?', '60'],
      ['write smoke', '60'],
    ]);
  });

  it('passes an AWS failure of a box step through as it is, the serving version kept', async () => {
    const answers: Record<string, string> = { observe: `${OLD}\n${OLD_IMAGE} pillbox-app\n`, 'route?': 'app\n' };
    const sent: string[] = [];
    const run = async (argv: readonly string[]) => {
      const step = stepOf(toShellLine(argv));
      sent.push(step);
      if (step === 'fetch') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return { exitCode: 0, stdout: answers[step] ?? '', stderr: '' };
    };
    const err = await rejection(deployApp({ run, progress: new Progress({ stream: new PassThrough() }), newId: () => 'deadbeef', recordCommit: async () => undefined }, { source: SOURCE, healthTimeoutSeconds: 120 }));
    expect(err).to.not.be.instanceOf(OperatorError);
    expect(err.name).to.equal('ThrottlingException');
    expect(sent.at(-1)).to.equal('fetch');
  });

  it('shows each step as it happens', async () => {
    const { progress } = await deploy();
    expect(progress()).to.match(/▸ Build the app image\n✓ Build the app image/);
    expect(progress()).to.contain('✓ Send traffic to app-next');
    expect(progress()).to.contain('✓ Stop app-next (it drains)');
  });
  describe('the deployed commit (GitSha tag, shown by npm run status)', () => {
    it('is recorded once the new version serves', async () => {
      const { recorded, error } = await deploy();
      expect(error).to.equal(undefined);
      expect(recorded).to.deep.equal([NEW]);
    });

    it('is not recorded when the new version never becomes ready', async () => {
      const { recorded, error } = await deploy({ 'ready app-next': { exitCode: 1, stderr: 'app-next was not ready after 120s' } });
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
      expect(steps.slice(-2)).to.deep.equal(['stop app-next', 'resume alerts']);
      expect(error?.message).to.equal(
        'The box serves 2222222, but its GitSha tag could not be updated (AWS denied the request: You are not authorized to perform this operation.); `npm run status` shows the old commit.',
      );
      expect(error?.hint).to.contain('Run the same deploy again');
    });
  });
});
