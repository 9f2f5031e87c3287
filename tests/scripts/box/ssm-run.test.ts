import { expect } from 'chai';
import { CancelCommandCommand, GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { composeArgv } from '../../../scripts/lib/box/compose.js';
import { runOnBox, shellQuote, toScript, toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import { awsError, rejection } from '../fakes/fake-aws.js';
import { fakeClock } from '../fakes/fake-clock.js';

describe('commands on the box', () => {
  it('quotes in exactly one place: safe words bare, everything else single-quoted', () => {
    expect(shellQuote('/opt/pillbox/compose')).to.equal('/opt/pillbox/compose');
    expect(shellQuote("it's $HOME; rm -rf /")).to.equal(`'it'\\''s $HOME; rm -rf /'`);
    expect(shellQuote('')).to.equal("''");
    expect(toShellLine(composeArgv('logs', '--tail', '50', 'app'))).to.equal(
      'docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env logs --tail 50 app',
    );
  });

  it('stops at the first failing command', () => {
    expect(toScript([['true'], ['echo', 'a b']])).to.deep.equal(['set -eu', 'true', "echo 'a b'"]);
  });

  describe('runOnBox', () => {
    const ssm = new SSMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(ssm);
    afterEach(() => mock.reset());
    after(() => mock.restore());

    it('sends AWS-RunShellScript with the quoted script and polls until the invocation ends', async () => {
      mock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
      mock
        .on(GetCommandInvocationCommand)
        .rejectsOnce(awsError('InvocationDoesNotExist'))
        .resolvesOnce({ Status: 'InProgress' })
        .resolves({ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'ok\n' });
      const clock = fakeClock();
      const result = await runOnBox(ssm, 'i-1', [['echo', 'hello world']], { timeoutSeconds: 30, clock });
      expect(result).to.deep.equal({ commandId: 'cmd-1', status: 'Success', exitCode: 0, stdout: 'ok\n', stderr: '' });
      expect(mock.commandCalls(SendCommandCommand)[0]!.args[0].input).to.deep.equal({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: ['i-1'],
        Parameters: { commands: ['set -eu', "echo 'hello world'"], executionTimeout: ['30'] },
        TimeoutSeconds: 60,
        Comment: 'pillbox',
      });
      expect(mock.commandCalls(GetCommandInvocationCommand)).to.have.length(3);
    });

    /** SSM as it answers a command nobody runs: `before` until CancelCommand, then `after`. */
    function cancellable(before: string, after: string[]): void {
      let cancelled = false;
      const answers = [...after];
      mock.on(GetCommandInvocationCommand).callsFake(() => ({ Status: cancelled ? (answers.length > 1 ? answers.shift() : answers[0]) : before }));
      mock.on(CancelCommandCommand).callsFake(() => ((cancelled = true), {}));
    }

    it('gives up after the command timeout plus a margin, cancelling the command so it cannot run later', async () => {
      mock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-2' } });
      cancellable('InProgress', ['Cancelling', 'Cancelled']);
      const clock = fakeClock();
      const err = await rejection(runOnBox(ssm, 'i-1', [['sleep', '999']], { timeoutSeconds: 10, clock }));
      expect(err.message).to.equal('The command cmd-2 on i-1 did not finish within 70 s; it was cancelled, so it will not run later.');
      expect(mock.commandCalls(CancelCommandCommand)[0]!.args[0].input).to.deep.equal({ CommandId: 'cmd-2', InstanceIds: ['i-1'] });
      expect(clock.elapsed()).to.be.within(70_000, 75_000);
    });

    it('says when cancelling failed, so the operator cancels it before the agent comes back', async () => {
      mock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-3' } });
      mock.on(GetCommandInvocationCommand).resolves({ Status: 'Pending' });
      mock.on(CancelCommandCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
      const err = await rejection(runOnBox(ssm, 'i-1', [['true']], { timeoutSeconds: 10, clock: fakeClock() }));
      expect(err.message).to.match(/; cancelling it failed \(ThrottlingException: Rate exceeded\): cancel it in the Run Command console before the agent comes back\.$/);
    });

    it('waits through Delayed, which SSM retries, and returns the command once delivered', async () => {
      mock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-5' } });
      mock.on(GetCommandInvocationCommand).resolvesOnce({ Status: 'Pending' }).resolvesOnce({ Status: 'Delayed' }).resolvesOnce({ Status: 'Delayed' }).resolves({ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'late\n' });
      const result = await runOnBox(ssm, 'i-1', [['true']], { timeoutSeconds: 60, clock: fakeClock() });
      expect(result.stdout).to.equal('late\n');
      expect(mock.commandCalls(CancelCommandCommand)).to.have.length(0);
    });

    for (const [after, words] of [
      [['Success'], 'it ran to its end after all (Success): check the box before running it again'],
      [['Delayed'], 'a cancel was asked, but SSM still shows it Delayed and does not guarantee the cancel: check the Run Command history before the agent comes back'],
    ] as const) {
      it(`words a cancel by the status SSM shows after it (${after[0]})`, async () => {
        mock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-6' } });
        cancellable('Delayed', [...after]);
        const err = await rejection(runOnBox(ssm, 'i-1', [['true']], { timeoutSeconds: 30, clock: fakeClock() }));
        expect(err.message).to.equal(`The command cmd-6 on i-1 did not finish within 90 s; ${words}.`);
      });
    }

    it('stops waiting at once when interrupted, and cancels the command', async () => {
      mock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-7' } });
      cancellable('Pending', ['Cancelled']);
      const controller = new AbortController();
      const base = fakeClock();
      const clock = { ...base, sleep: async (ms: number) => (await base.sleep(ms), base.elapsed() >= 10_000 ? controller.abort('SIGINT') : undefined) };
      const err = await rejection(runOnBox(ssm, 'i-1', [['true']], { timeoutSeconds: 600, clock, signal: controller.signal }));
      expect(err.message).to.equal('Interrupted (SIGINT).');
      expect(mock.commandCalls(CancelCommandCommand)).to.have.length(1);
      expect(base.elapsed()).to.be.below(15_000);
    });

    for (const [status, details] of [
      ['TimedOut', 'DeliveryTimedOut'],
      ['TimedOut', 'ExecutionTimedOut'],
      ['Cancelled', 'Cancelled'],
    ] as const) {
      it(`ends on ${status} (${details}), naming SSM's StatusDetails`, async () => {
        mock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-4' } });
        mock.on(GetCommandInvocationCommand).resolves({ Status: status, StatusDetails: details, ResponseCode: -1, StandardErrorContent: 'partial\nlast words\n' });
        mock.on(CancelCommandCommand).resolves({});
        const clock = fakeClock();
        const err = await rejection(runOnBox(ssm, 'i-1', [['true']], { timeoutSeconds: 600, clock }));
        expect(err.message).to.equal(`The command cmd-4 on i-1 ended ${status} (${details}): last words.`);
        expect(err.hint).to.include('npm run status');
        expect(mock.commandCalls(CancelCommandCommand)).to.have.length(0);
        expect(clock.elapsed(), 'at the first answer, not the deadline').to.be.below(10_000);
      });
    }
  });
});
