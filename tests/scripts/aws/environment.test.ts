// A command aimed at an environment that is not there names the ones that are, with the --env to pick.
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import {
  describeEnvironments,
  EnvironmentNotFound,
  findInstances,
  otherEnvironmentsHint,
  requireRunningInstance,
  toEnvInstance,
  type EnvInstance,
} from '../../../scripts/lib/aws/environment.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from '../provision/fixtures.js';

describe('requireRunningInstance', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('lists the running environments with the --env that picks one when the target does not exist', async () => {
    await provision(aConfig({ env: 'main' }), depsFor(fake));
    const err = await rejection(requireRunningInstance(fake.clients.ec2, 'feature-add-search', 'eu-west-1'));
    expect(err).to.be.instanceOf(EnvironmentNotFound);
    expect(err.message).to.equal('No pillbox environment "feature-add-search" in eu-west-1.');
    expect((err as EnvironmentNotFound).hint).to.equal('Here: main (running). Pick one with --env (--env main); without it the name follows the git branch.');
  });

  it('says a stopped environment is stopped rather than missing', async () => {
    await provision(aConfig({ env: 'main' }), depsFor(fake));
    world.instances[0]!.state = 'stopped';
    const err = await rejection(requireRunningInstance(fake.clients.ec2, 'main', 'eu-west-1'));
    expect(err.message).to.equal('Environment "main" in eu-west-1 is stopped, not running.');
    expect((err as EnvironmentNotFound).hint).to.equal('`npx pillbox status --env main` shows it; this command needs its box running.');
  });

  it('says none exists, and how to create one, in an empty region', async () => {
    const err = await rejection(requireRunningInstance(fake.clients.ec2, 'main', 'eu-west-1'));
    expect((err as EnvironmentNotFound).hint).to.equal('No environment has a box in eu-west-1: `npx pillbox provision` creates one; if yours is elsewhere, pass --region.');
  });

  it('returns the running box of the environment', async () => {
    await provision(aConfig({ env: 'main' }), depsFor(fake));
    const found = await requireRunningInstance(fake.clients.ec2, 'main', 'eu-west-1');
    expect(found.id).to.equal(world.instances[0]!.id);
  });
});

describe('what an environment is read as', () => {
  const box = (state: string): EnvInstance[] => [{ id: `i-${state}`, env: '', state, instanceType: 't3.medium' }];

  it('names the other environments in alphabetical order, picks the first, and never the one asked for', () => {
    const envs = new Map([['zeta', box('running')], ['dev', box('running')], ['alpha', box('stopped')]]);
    expect(describeEnvironments(envs)).to.equal('alpha (stopped), dev (running), zeta (running)');
    expect(otherEnvironmentsHint('dev', 'eu-west-1', envs)).to.equal('Here: alpha (stopped), zeta (running). Pick one with --env (--env alpha); without it the name follows the git branch.');
  });

  const instance = (overrides: Partial<Instance> = {}): Instance => ({
    InstanceId: 'i-0abc',
    State: { Name: 'running' },
    Tags: [{ Key: 'Env', Value: 'dev' }],
    RootDeviceName: '/dev/xvda',
    BlockDeviceMappings: [
      { DeviceName: '/dev/sdb', Ebs: { VolumeId: 'vol-data' } },
      { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-root' } },
    ],
    ...overrides,
  });

  it('takes the root volume by the root device name, whatever the order of the mappings', () => {
    expect(toEnvInstance(instance()).rootVolumeId).to.equal('vol-root');
  });

  it('reads no public DNS name from an empty one (a box without a public address)', () => {
    expect(toEnvInstance(instance({ PublicDnsName: '' })).publicDns).to.equal(undefined);
    expect(toEnvInstance(instance({ PublicDnsName: 'ec2-203-0-113-10.compute.amazonaws.com' })).publicDns).to.equal('ec2-203-0-113-10.compute.amazonaws.com');
  });

  it('takes the stop time from the transition reason of a stopped box only', () => {
    const reason = 'User initiated (2026-11-21 14:03:11 GMT)';
    expect(toEnvInstance(instance({ State: { Name: 'stopped' }, StateTransitionReason: reason })).stoppedAt?.toISOString()).to.equal('2026-11-21T14:03:11.000Z');
    expect(toEnvInstance(instance({ StateTransitionReason: reason })).stoppedAt).to.equal(undefined);
  });

  it('reads an empty StackProfiles tag as no profiles', () => {
    expect(toEnvInstance(instance({ Tags: [{ Key: 'StackProfiles', Value: '' }] })).profiles).to.deep.equal([]);
    expect(toEnvInstance(instance({ Tags: [{ Key: 'StackProfiles', Value: 'logs' }] })).profiles).to.deep.equal(['logs']);
  });

  it('lists the live boxes newest first, whatever order EC2 gives them in', async () => {
    const ec2 = mockClient(EC2Client);
    try {
      const at = (id: string, iso: string) => instance({ InstanceId: id, LaunchTime: new Date(iso) });
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [at('i-old', '2026-11-01T00:00:00Z'), at('i-new', '2026-11-03T00:00:00Z'), at('i-mid', '2026-11-02T00:00:00Z')] }] });
      const found = await findInstances(new EC2Client({ region: 'eu-west-1' }), 'dev');
      expect(found.map((i) => i.id)).to.deep.equal(['i-new', 'i-mid', 'i-old']);
    } finally {
      ec2.restore();
    }
  });
});
