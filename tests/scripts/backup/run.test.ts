import { DescribeInstanceInformationCommand, SendCommandCommand, type PingStatus } from '@aws-sdk/client-ssm';
import { SSMClient } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { backupBeforeChange, takeBackup } from '../../../scripts/lib/backup/run.js';
import type { RemoteRunner } from '../../../scripts/lib/box/ssm-output.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import type { Progress } from '../../../scripts/lib/core/progress.js';
import { awsError, rejection } from '../fakes/fake-aws.js';
import { fakeBox, useBoxMocks, type Reply } from '../fakes/fake-box.js';
import { fakeClock } from '../fakes/fake-clock.js';

const manifest = { key: 'envs/dev/backups/20261121T030000Z.dump', sha256: 'a'.repeat(64), bytes: 2048, reason: 'manual', commit: 'c'.repeat(40) };
const answering =
  (exitCode: number, stdout: string, stderr = ''): RemoteRunner & { sent: string[][]; limits: (number | undefined)[] } => {
    const sent: string[][] = [];
    const limits: (number | undefined)[] = [];
    const run: RemoteRunner = async (argv, options) => (sent.push([...argv]), limits.push(options?.timeoutSeconds), { exitCode, stdout, stderr });
    return Object.assign(run, { sent, limits });
  };

describe('a backup on the box', () => {
  it('runs the box script with the reason and returns the manifest it printed last', async () => {
    const run = answering(0, `pg_dump: warning: something harmless\n${JSON.stringify(manifest)}\n`);
    expect(await takeBackup(run, 'manual')).to.deep.equal(manifest);
    expect(run.sent).to.deep.equal([['/usr/local/sbin/pillbox-backup', 'manual']]);
    expect(run.limits, 'half an hour on the box, not the runner\'s default').to.deep.equal([1800]);
  });

  it('names a box older than backups (no script) and how to replace it', async () => {
    const err = await rejection(takeBackup(answering(127, '', 'sh: /usr/local/sbin/pillbox-backup: not found'), 'teardown'));
    expect(err.message).to.equal('This box has no backup script: it was provisioned before backups existed.');
    expect(err.hint).to.include('--replace');
  });

  it('shows the last lines of what failed', async () => {
    const err = await rejection(takeBackup(answering(1, '', 'pg_dump: error: connection to server on socket failed\n'), 'manual'));
    expect(err.message).to.equal('The backup failed on the box (exit 1):\npg_dump: error: connection to server on socket failed');
    expect(err.hint).to.equal('Check the stack with `npm run status` (the postgres service must be up) and `journalctl -u pillbox.service` in `npm run session`.');
  });

  it('shows what the script printed when it wrote nothing to stderr, the last 10 lines of it, or says there was nothing', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
    expect((await rejection(takeBackup(answering(2, `${lines.join('\n')}\n`), 'manual'))).message).to.equal(`The backup failed on the box (exit 2):\n${lines.slice(2).join('\n')}`);
    expect((await rejection(takeBackup(answering(2, '\n'), 'manual'))).message).to.equal('The backup failed on the box (exit 2):\n(no output)');
  });

  it('names the box as the manifest\'s source when it printed none', async () => {
    const err = await rejection(takeBackup(answering(0, ''), 'manual'));
    expect(err.message).to.equal('The manifest printed by the box is not one pillbox wrote: ""');
  });

  it('refuses an answer that is not a manifest', async () => {
    const err = await rejection(takeBackup(answering(0, 'done\n'), 'manual'));
    expect(err.message).to.match(/is not one pillbox wrote/);
    // A backup's advice, not a restore's ("Pick another backup").
    expect(err.hint).to.equal('The backup may not have finished: `npm run backups` lists what reached the bucket; in `npm run session`, `journalctl -u pillbox-backup.service` shows the backup\'s log.');
  });
});

describe('the backup before a change that loses the box', () => {
  const mocks = useBoxMocks();
  const online = (instanceId: string, PingStatus: PingStatus = 'Online') => ({ InstanceInformationList: [{ InstanceId: instanceId, PingStatus }] });
  const recorder = () => {
    const said: string[] = [];
    const progress: Pick<Progress, 'step' | 'note'> & { said: string[] } = {
      said,
      note: (line) => void said.push(`note: ${line}`),
      step: async (label, fn) => (said.push(`step: ${label}`), fn(() => undefined)),
    };
    return progress;
  };
  const box = (reply: Reply) => fakeBox(mocks.ssm, (line) => (line.startsWith('/usr/local/sbin/pillbox-backup ') ? reply : { exitCode: 127, stderr: `unexpected: ${line}` }));
  const ssm = () => new SSMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });

  it('backs up a box whose agent is online, even when SSM says so on a later page, and returns the dump\'s key', async () => {
    mocks.ssm.on(DescribeInstanceInformationCommand).resolvesOnce({ InstanceInformationList: [], NextToken: 'p2' }).resolvesOnce(online('i-1'));
    const sent = box({ stdout: `${JSON.stringify(manifest)}\n` });
    const progress = recorder();
    expect(await backupBeforeChange(ssm(), 'i-1', 'teardown', progress, fakeClock())).to.equal(manifest.key);
    expect(progress.said).to.deep.equal(['step: back up i-1 (teardown)']);
    expect(sent.lines()).to.deep.equal(['/usr/local/sbin/pillbox-backup teardown']);
    expect(mocks.ssm.commandCalls(DescribeInstanceInformationCommand)[0]?.args[0].input.Filters).to.deep.equal([{ Key: 'InstanceIds', Values: ['i-1'] }]);
  });

  it('goes on without a backup, saying so, when the box\'s agent is not online', async () => {
    mocks.ssm.on(DescribeInstanceInformationCommand).resolves(online('i-1', 'ConnectionLost'));
    const progress = recorder();
    expect(await backupBeforeChange(ssm(), 'i-1', 'pre-replace', progress, fakeClock())).to.equal(undefined);
    expect(progress.said).to.deep.equal(['note: i-1 does not answer through SSM, so it goes without a backup.']);
    expect(mocks.ssm.commandCalls(SendCommandCommand)).to.have.length(0);
  });

  it('goes on without a backup when SSM does not know the box at all', async () => {
    mocks.ssm.on(DescribeInstanceInformationCommand).resolves({});
    const progress = recorder();
    expect(await backupBeforeChange(ssm(), 'i-1', 'teardown', progress, fakeClock())).to.equal(undefined);
    expect(progress.said).to.deep.equal(['note: i-1 does not answer through SSM, so it goes without a backup.']);
  });

  it('waits for the backup on the injected clock', async () => {
    mocks.ssm.on(DescribeInstanceInformationCommand).resolves(online('i-1'));
    box({ stdout: `${JSON.stringify(manifest)}\n` });
    const clock = fakeClock();
    await backupBeforeChange(ssm(), 'i-1', 'teardown', recorder(), clock);
    expect(clock.elapsed()).to.be.above(0);
  });

  it('stops the change when the backup fails, saying nothing was changed and how to go on without one', async () => {
    mocks.ssm.on(DescribeInstanceInformationCommand).resolves(online('i-1'));
    box({ exitCode: 1, stderr: 'pg_dump: error: connection refused\n' });
    const err = await rejection(backupBeforeChange(ssm(), 'i-1', 'teardown', recorder(), fakeClock()));
    expect(err).to.be.instanceOf(OperatorError);
    expect(err.message).to.equal('The backup failed on the box (exit 1):\npg_dump: error: connection refused\nNothing was changed.');
    expect(err.hint).to.equal('Check the stack with `npm run status` (the postgres service must be up) and `journalctl -u pillbox.service` in `npm run session`. To go on without a backup, pass --no-backup.');
  });

  it('passes an AWS failure of the backup through as it is', async () => {
    mocks.ssm.on(DescribeInstanceInformationCommand).resolves(online('i-1'));
    mocks.ssm.on(SendCommandCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: ssm:SendCommand'));
    const err = await rejection(backupBeforeChange(ssm(), 'i-1', 'teardown', recorder(), fakeClock()));
    expect(err).to.not.be.instanceOf(OperatorError);
    expect(err.name).to.equal('AccessDeniedException');
  });
});
