import * as ec2 from '@aws-sdk/client-ec2';
import * as ssm from '@aws-sdk/client-ssm';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { readConsoleTail } from '../../../scripts/lib/aws/console-output.js';
import { assertInstanceTypeOffered, describeInstances, findByClientToken, isProfilePropagationError, requestTermination, resolveAmi, terminateInstances, waitInstanceRunning } from '../../../scripts/lib/aws/instance.js';
import { volumeSizeGb } from '../../../scripts/lib/aws/volume.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { awsError, failNext, rejection, useFakeAws, type FakeAws, type FakeInstance, type World } from '../fakes/fake-aws.js';

/** A box of the dev environment, launched `agoMs` before the world's now. */
function aBox(world: World, id: string, agoMs: number, extra: Partial<FakeInstance> = {}): FakeInstance {
  const box: FakeInstance = {
    id,
    state: 'pending',
    type: 't3.medium',
    tags: [{ Key: 'Env', Value: 'dev' }],
    groupIds: [],
    publicIp: '203.0.113.10',
    volumeGb: 30,
    volumeId: `vol-${id}`,
    launchedAt: world.clock.now() - agoMs,
    box: structuredClone(world.box),
    ...extra,
  };
  world.instances.push(box);
  return box;
}

describe('the instance', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  describe('waiting until it runs', () => {
    it('reports each state it sees and returns the instance once running', async () => {
      aBox(world, 'i-1', 0);
      const seen: string[] = [];
      const running = await waitInstanceRunning(fake.clients.ec2, 'i-1', { clock: world.clock, limitMs: 180_000, report: (s) => seen.push(s) });
      expect(running.InstanceId).to.equal('i-1');
      expect(seen[0]).to.equal('pending');
      expect(seen.at(-1)).to.equal('running');
    });

    it('stops at once when the instance ends instead of running, saying so when EC2 gave no reason', async () => {
      aBox(world, 'i-1', 10_000, { terminatingAt: world.clock.now() });
      const err = await rejection(waitInstanceRunning(fake.clients.ec2, 'i-1', { clock: world.clock, limitMs: 180_000 }));
      expect(err).to.be.instanceOf(OperatorError);
      expect(err.message).to.equal('Instance i-1 went to "shutting-down" instead of running: no reason given.');
      expect(err.hint).to.equal('If the reason is capacity, try again later or another --instance-type; `npm run teardown` removes what is left.');
      expect(world.clock.elapsed(), 'no waiting for a box that ended').to.be.below(10_000);
    });

    it('gives up after its limit, naming the last state seen', async () => {
      world.timing.pendingMs = 3_600_000;
      aBox(world, 'i-1', 0);
      const err = await rejection(waitInstanceRunning(fake.clients.ec2, 'i-1', { clock: world.clock, limitMs: 180_000 }));
      expect(err.message).to.equal('Instance i-1 did not reach "running" within 3 min (last seen: pending).');
      expect(err.hint).to.equal('Check its state and "Status checks" in the EC2 console; `npm run teardown` removes it.');
      expect(world.clock.elapsed()).to.be.within(180_000, 185_000);
    });

    it('says it never saw the instance when EC2 kept it unknown throughout', async () => {
      world.timing.describeLagMs = 3_600_000;
      aBox(world, 'i-1', 0);
      const err = await rejection(waitInstanceRunning(fake.clients.ec2, 'i-1', { clock: world.clock, limitMs: 60_000 }));
      expect(err.message).to.equal('Instance i-1 did not reach "running" within 1 min (last seen: not visible yet).');
    });
  });

  describe('terminating', () => {
    it('asks again while EC2 does not know a box seconds old, then waits until it is terminated, reporting what is left', async () => {
      aBox(world, 'i-1', 0, { state: 'running' });
      const seen: string[] = [];
      await terminateInstances(fake.clients.ec2, ['i-1'], { clock: world.clock, limitMs: 600_000, report: (s) => seen.push(s) });
      expect(world.instances[0]?.state).to.equal('terminated');
      expect(world.calls.get('TerminateInstances')).to.equal(2);
      expect(seen).to.include('i-1 shutting-down');
    });

    it('sends nothing for no instances', async () => {
      await terminateInstances(fake.clients.ec2, [], { clock: world.clock, limitMs: 600_000 });
      expect(world.calls.get('TerminateInstances')).to.equal(undefined);
    });

    it('passes any other refusal through', async () => {
      aBox(world, 'i-1', 60_000, { state: 'running' });
      failNext(world, 'TerminateInstances', awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
      const err = await rejection(terminateInstances(fake.clients.ec2, ['i-1'], { clock: world.clock, limitMs: 600_000 }));
      expect(err.name).to.equal('UnauthorizedOperation');
      expect(world.instances[0]?.state).to.equal('running');
    });

    it('gives up after its limit, naming the instances', async () => {
      world.timing.shuttingDownMs = 3_600_000;
      aBox(world, 'i-1', 60_000, { state: 'running' });
      aBox(world, 'i-2', 60_000, { state: 'running' });
      const err = await rejection(terminateInstances(fake.clients.ec2, ['i-1', 'i-2'], { clock: world.clock, limitMs: 120_000 }));
      expect(err.message).to.equal('i-1, i-2 did not terminate within 2 min.');
      expect(err.hint).to.equal('Check the instances in the EC2 console, then run teardown again.');
    });

    it('takes a request for an instance already gone as done, without waiting', async () => {
      await requestTermination(fake.clients.ec2, ['i-gone']);
      expect(world.log).to.deep.equal(['TerminateInstances']);
    });
  });

  describe('a launch whose answer was lost', () => {
    it('is found by its ClientToken once DescribeInstances catches up', async () => {
      aBox(world, 'i-1', 0, { clientToken: 'pillbox-dev-run1' });
      aBox(world, 'i-2', 0, { clientToken: 'pillbox-dev-run2' });
      expect(await findByClientToken(fake.clients.ec2, 'pillbox-dev-run2', world.clock)).to.equal('i-2');
    });

    it('is believed missing only after looking for the whole minute', async () => {
      expect(await findByClientToken(fake.clients.ec2, 'pillbox-dev-run1', world.clock)).to.equal(undefined);
      expect(world.clock.elapsed()).to.be.at.least(60_000);
    });

    it('throws when the lookup itself fails, so nothing is undone on a guess', async () => {
      failNext(world, 'DescribeInstances', awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
      expect((await rejection(findByClientToken(fake.clients.ec2, 'pillbox-dev-run1', world.clock))).name).to.equal('UnauthorizedOperation');
    });
  });

  describe('its serial console', () => {
    it('shows the last lines the box printed, carriage returns dropped, asking EC2 for the latest output', async () => {
      aBox(world, 'i-1', 60_000, { state: 'running', box: { ...structuredClone(world.box), consoleOutput: 'one\r\ntwo\r\nthree\r\n\n' } });
      expect(await readConsoleTail(fake.clients.ec2, 'i-1', 2)).to.equal('The last lines of its console output:\ntwo\nthree');
      expect(fake.mocks.ec2.commandCalls(ec2.GetConsoleOutputCommand)[0]?.args[0].input).to.deep.equal({ InstanceId: 'i-1', Latest: true });
    });

    it('keeps 25 lines by default', async () => {
      const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
      aBox(world, 'i-1', 60_000, { state: 'running', box: { ...structuredClone(world.box), consoleOutput: lines.join('\n') } });
      expect(await readConsoleTail(fake.clients.ec2, 'i-1')).to.equal(`The last lines of its console output:\n${lines.slice(5).join('\n')}`);
    });

    it('says when EC2 has captured nothing yet, and why it could not be read', async () => {
      aBox(world, 'i-1', 60_000, { state: 'running' });
      expect(await readConsoleTail(fake.clients.ec2, 'i-1')).to.equal('The console output is empty so far (EC2 captures it a few minutes after boot).');
      expect(await readConsoleTail(fake.clients.ec2, 'i-gone')).to.match(/^Its console output could not be read \(.*InvalidInstanceID\.NotFound.*\)\.$/);
    });
  });

  it('reads the size of its root volume, and nothing of another volume', async () => {
    aBox(world, 'i-1', 60_000, { state: 'running', volumeGb: 40 });
    aBox(world, 'i-2', 60_000, { state: 'running', volumeGb: 80 });
    expect(await volumeSizeGb(fake.clients.ec2, 'vol-i-2')).to.equal(80);
    expect(fake.mocks.ec2.commandCalls(ec2.DescribeVolumesCommand)[0]?.args[0].input).to.deep.equal({ VolumeIds: ['vol-i-2'] });
  });

  it('refuses an instance type the region does not offer, naming the others', async () => {
    world.unofferedTypes = ['t3.large'];
    const err = await rejection(assertInstanceTypeOffered(fake.clients.ec2, 't3.large', 'eu-west-1'));
    expect(err.message).to.equal('eu-west-1 does not offer t3.large.');
    expect(err.hint).to.match(/^Pick another with --instance-type \(.+\) or another region\.$/);
    expect(err.hint).to.include('t3.medium').and.not.include('t3.large');
  });

  it('finds an offered type even though the filtered answer\'s first page is empty', async () => {
    await assertInstanceTypeOffered(fake.clients.ec2, 't3.large', 'eu-west-1');
    expect(fake.mocks.ec2.commandCalls(ec2.DescribeInstanceTypeOfferingsCommand)[0]?.args[0].input).to.deep.include({ LocationType: 'region', Filters: [{ Name: 'instance-type', Values: ['t3.large'] }] });
  });
});

describe('the AMI', () => {
  const clients = () => ({ ssm: new SSMClient({ region: 'eu-west-1' }), ec2: new EC2Client({ region: 'eu-west-1' }) });
  let mocks: { ssm: ReturnType<typeof mockClient>; ec2: ReturnType<typeof mockClient> };
  beforeEach(() => (mocks = { ssm: mockClient(SSMClient), ec2: mockClient(EC2Client) }));
  afterEach(() => (mocks.ssm.restore(), mocks.ec2.restore()));

  it('is the latest AL2023 with its own root device name', async () => {
    mocks.ssm.on(ssm.GetParameterCommand, { Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' }).resolves({ Parameter: { Value: 'ami-1' } });
    mocks.ec2.on(ec2.DescribeImagesCommand, { ImageIds: ['ami-1'] }).resolves({ Images: [{ ImageId: 'ami-1', RootDeviceName: '/dev/sda1' }] });
    const { ssm: s, ec2: e } = clients();
    expect(await resolveAmi(s, e)).to.deep.equal({ id: 'ami-1', rootDeviceName: '/dev/sda1' });
  });

  it('falls back to /dev/xvda when EC2 does not name the root device', async () => {
    mocks.ssm.on(ssm.GetParameterCommand).resolves({ Parameter: { Value: 'ami-1' } });
    mocks.ec2.on(ec2.DescribeImagesCommand).resolves({ Images: [] });
    const { ssm: s, ec2: e } = clients();
    expect(await resolveAmi(s, e)).to.deep.equal({ id: 'ami-1', rootDeviceName: '/dev/xvda' });
  });

  it('says to pick another region when the public parameter has no value there', async () => {
    mocks.ssm.on(ssm.GetParameterCommand).resolves({ Parameter: {} });
    const { ssm: s, ec2: e } = clients();
    const err = await rejection(resolveAmi(s, e));
    expect(err.message).to.equal('The public parameter /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 has no value in this region.');
    expect(err.hint).to.equal('Pick a region where Amazon Linux 2023 is offered (--region).');
    expect(mocks.ec2.calls()).to.have.length(0);
  });
});

describe('reading instances by id', () => {
  let mock: AwsClientStub<EC2Client>;
  beforeEach(() => (mock = mockClient(EC2Client)));
  afterEach(() => mock.restore());
  const client = () => new EC2Client({ region: 'eu-west-1' });

  it('leaves out an id EC2 does not know yet, and passes any other failure through', async () => {
    mock.on(ec2.DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound', "The instance ID 'i-0new' does not exist"));
    expect(await describeInstances(client(), ['i-0new'])).to.deep.equal([]);
    mock.on(ec2.DescribeInstancesCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    expect((await rejection(describeInstances(client(), ['i-0new']))).name).to.equal('UnauthorizedOperation');
  });

  it('retries a launch for the profile EC2 cannot see yet only, not for another invalid parameter', () => {
    expect(isProfilePropagationError(awsError('InvalidParameterValue', 'Value (pillbox-dev-instance) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name'))).to.equal(true);
    expect(isProfilePropagationError(awsError('InvalidParameterCombination', 'Invalid IAM Instance Profile name'))).to.equal(false);
    expect(isProfilePropagationError(awsError('InvalidParameterValue', 'Invalid value for InstanceType'))).to.equal(false);
  });
});
