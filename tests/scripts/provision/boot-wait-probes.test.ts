// The polling waits ask the box again and again through SSM: a probe that got no answer (its
// delivery timed out while the agent was briefly unreachable) is "not yet", not the end.
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { mockClient } from 'aws-sdk-client-mock';
import { waitAppReady, waitStackHealthy } from '../../../scripts/lib/provision/boot-wait.js';
import { rejection } from '../fakes/fake-aws.js';
import { fakeClock } from '../fakes/fake-clock.js';

describe('the boot waits’ probes', () => {
  const ssm = new SSMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(ssm);
  afterEach(() => mock.reset());
  after(() => mock.restore());

  const timedOut = { Status: 'TimedOut' as const, StatusDetails: 'DeliveryTimedOut', ResponseCode: -1 };

  it('take a probe whose delivery timed out as no answer yet and ask again', async () => {
    mock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
    mock.on(GetCommandInvocationCommand).resolvesOnce(timedOut).resolves({ Status: 'Success', ResponseCode: 0, StandardOutputContent: '200' });
    await waitAppReady(ssm, 'i-1', 8080, fakeClock());
    expect(mock.commandCalls(SendCommandCommand)).to.have.length(2);
  });

  it('report a probe with no answer and go on with the stack wait', async () => {
    const lines: string[] = [];
    mock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-2' } });
    const ps = JSON.stringify({ service: 'app', state: 'running', health: 'healthy', exitCode: 0 });
    mock.on(GetCommandInvocationCommand).resolvesOnce(timedOut).resolves({ Status: 'Success', ResponseCode: 0, StandardOutputContent: `active\n${ps}\n` });
    const services = await waitStackHealthy(ssm, 'i-1', fakeClock(), (l) => lines.push(l));
    expect(services).to.have.length(1);
    expect(lines[0]).to.equal('no answer from the box yet');
  });

  it('still end on a command that was cancelled', async () => {
    mock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-3' } });
    mock.on(GetCommandInvocationCommand).resolves({ Status: 'Cancelled', StatusDetails: 'Cancelled', ResponseCode: -1 });
    const err = await rejection(waitAppReady(ssm, 'i-1', 8080, fakeClock()));
    expect(err.message).to.match(/ended Cancelled \(Cancelled\)/);
  });
});
