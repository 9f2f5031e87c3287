import { randomBytes } from 'node:crypto';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { fakeClock } from '../fakes/fake-clock.js';
import { ssmRunner } from '../../../scripts/lib/box/ssm-output.js';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { serviceAsFlag, serviceSchema, sinceSchema, tailSchema } from '../../../scripts/lib/logs/config.js';
import { composeLogsCommand } from '../../../scripts/lib/logs/plan.js';
import { fetchLogs } from '../../../scripts/lib/logs/run.js';
import { fakeBox, type SsmMock } from '../fakes/fake-box.js';

const COMPOSE =
  'docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env';

describe('logs', () => {
  let ssm: SsmMock;
  beforeEach(() => (ssm = mockClient(SSMClient)));
  afterEach(() => ssm.restore());
  const run = () => ssmRunner(new SSMClient({ region: 'eu-west-1' }), 'i-0abc', { clock: fakeClock() });

  it('builds the compose logs command for one service with --since', () => {
    expect(toShellLine(composeLogsCommand({ service: 'app', tail: '50', since: '15m' }))).to.equal(`${COMPOSE} logs --no-color --tail 50 --since 15m app`);
  });

  it('builds it for every service when none is named', () => {
    expect(toShellLine(composeLogsCommand({ tail: 'all' }))).to.equal(`${COMPOSE} logs --no-color --tail all`);
  });

  it('returns 150,000 characters of multi-byte log lines intact, read in pages', async () => {
    // JSON log lines with accents and emoji; random trace ids keep gzip from fitting them in one page.
    const lines = Array.from({ length: 1500 }, (_, i) =>
      JSON.stringify({ '@timestamp': new Date(1_800_000_000_000 + i * 7919).toISOString(), message: `médicament n°${i} 💊 ajouté`, trace: { id: randomBytes(16).toString('hex') } }),
    );
    const text = `${lines.join('\n')}\n`;
    expect(text.length).to.be.greaterThan(150_000);
    const box = fakeBox(ssm, (line) => (line === `${COMPOSE} logs --no-color --tail all app` ? { stdout: text } : { exitCode: 1, stderr: `unexpected ${line}` }));
    const out = await fetchLogs(run(), { service: 'app', tail: 'all' }, '0123abcd');
    expect(out === text, 'logs differ from what the box printed').to.equal(true);
    expect(box.lines().filter((l) => l.includes("'dd if="))).to.have.length.greaterThan(1);
    expect(ssm.commandCalls(SendCommandCommand).every((c) => c.args[0].input.InstanceIds?.[0] === 'i-0abc')).to.equal(true);
  });

  it('quotes a hostile service name so the box sees it as one word', async () => {
    const box = fakeBox(ssm, () => ({ stdout: '' }));
    await fetchLogs(run(), { service: "x'; rm -rf /; '", tail: '10' }, '0123abce');
    expect(box.lines()[0]).to.match(/ logs --no-color --tail 10 'x'\\''; rm -rf \/; '\\'''$/);
  });

  it('turns "no such service" into one line pointing at npm run status', async () => {
    fakeBox(ssm, () => ({ exitCode: 1, stderr: 'no such service: web\n' }));
    let caught: unknown;
    try {
      await fetchLogs(run(), { service: 'web', tail: '10' }, '0123abcf');
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(OperatorError);
    expect((caught as OperatorError).message).to.equal('docker compose logs failed on the box: no such service: web');
    expect((caught as OperatorError).hint).to.match(/npm run status/);
  });

  it('says to look on the box for any other failure, naming the exit status when compose printed nothing', async () => {
    fakeBox(ssm, () => ({ exitCode: 14, stderr: '' }));
    const err = (await fetchLogs(run(), { service: 'app', tail: '10' }, '0123abcf').catch((e: unknown) => e)) as OperatorError;
    expect(err.message).to.equal('docker compose logs failed on the box: exit 14');
    expect(err.hint).to.equal('Look on the box with `npm run session`.');
  });

  it('reads a leading bare word as the service', () => {
    expect(serviceAsFlag(['app', '--tail', '5'])).to.deep.equal(['--service', 'app', '--tail', '5']);
    expect(serviceAsFlag(['--tail', '5'])).to.deep.equal(['--tail', '5']);
  });

  it('validates service, --tail and --since before anything is sent', () => {
    expect(serviceSchema.safeParse('apm-server').success).to.equal(true);
    expect(serviceSchema.safeParse('a b').success).to.equal(false);
    expect(tailSchema.parse('50')).to.equal('50');
    expect(tailSchema.parse('all')).to.equal('all');
    expect(tailSchema.safeParse('0').success).to.equal(false);
    expect(tailSchema.safeParse('-5').success).to.equal(false);
    for (const ok of ['90s', '15m', '1h30m', '2026-11-22', '2026-11-22T10:00:00Z', '2026-11-22T10:00:00+01:00']) expect(sinceSchema.safeParse(ok).success, ok).to.equal(true);
    for (const bad of ['yesterday', '15', '2d', '$(id)']) expect(sinceSchema.safeParse(bad).success, bad).to.equal(false);
  });
});
