// Provision in a partition other than `aws` (China, GovCloud): every ARN it builds takes the
// partition from the caller's own ARN (aws/caller.ts), or IAM, Scheduler and the boundary
// refuse what names another partition.
import { expect } from 'chai';
import { provision } from '../../../scripts/lib/provision/run.js';
import { aWorld, fakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from './fixtures.js';

describe('provision in the aws-cn partition', () => {
  let world: World;
  let fake: FakeAws;
  beforeEach(() => {
    world = aWorld({ partition: 'aws-cn', region: 'cn-north-1', accountId: '210987654321' });
    fake = fakeAws(world);
  });
  afterEach(() => fake.restore());

  it('bounds both roles and arms the expiry schedule with aws-cn ARNs', async () => {
    const result = await provision(aConfig(), depsFor(fake));
    const boundary = 'arn:aws-cn:iam::210987654321:policy/pillbox-boundary';
    expect(world.roles.get('pillbox-dev-instance')?.boundary).to.equal(boundary);
    expect(world.roles.get('pillbox-dev-scheduler')?.boundary).to.equal(boundary);
    const schedule = world.schedules.get(`pillbox-dev-expiry-${result.instanceId}`);
    expect(schedule?.Target?.RoleArn).to.equal('arn:aws-cn:iam::210987654321:role/pillbox-dev-scheduler');
    expect(schedule?.Target?.Arn).to.equal('arn:aws-cn:scheduler:::aws-sdk:ec2:terminateInstances');
    expect(world.roles.get('pillbox-dev-instance')?.policies.get('pillbox-dev-instance')).to.include('arn:aws-cn:ssm:cn-north-1:210987654321:parameter/pillbox/dev');
    expect(world.roles.get('pillbox-dev-scheduler')?.trust).to.include('arn:aws-cn:scheduler:cn-north-1:210987654321:schedule-group/default');
  });
});
