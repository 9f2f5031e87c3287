import { expect } from 'chai';
import * as ec2 from '@aws-sdk/client-ec2';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { aWorld, awsError, commandNames, failNext, fakeAws, rejection, type FakeAws, type World } from '../fakes/fake-aws.js';
import { anS3World } from '../fakes/fake-s3.js';
import { aConfig, aGit, depsFor, SHA } from './fixtures.js';

const MUTATING = /^(Create|Put|Delete|Run|Terminate|Authorize|Revoke|Add|Remove|Send|Attach|Detach)/;
const SECRET_VALUE = /^[A-Za-z0-9_-]{43}$/;

describe('provision', () => {
  let world: World;
  let fake: FakeAws;
  beforeEach(() => {
    world = aWorld();
    fake = fakeAws(world);
  });
  afterEach(() => fake.restore());

  describe('a fresh environment', () => {
    it('creates role, profile, secrets, security group and one instance, then waits until /readyz answers', async () => {
      const result = await provision(aConfig(), depsFor(fake));
      expect(result.instanceId).to.match(/^i-/);
      expect(result.appUrl).to.equal('http://203.0.113.10/');
      expect(result.waited).to.equal(true);
      expect(world.instances).to.have.length(1);
      expect([...world.roles.keys()]).to.deep.equal(['pillbox-dev-instance']);
      expect(world.profiles.get('pillbox-dev-instance')?.roles).to.deep.equal(['pillbox-dev-instance']);
      expect([...world.params.keys()].sort()).to.deep.equal(SECRET_NAMES.map((n) => `/pillbox/dev/secrets/${n}`).sort());
      expect(world.groups.map((g) => g.name)).to.deep.equal(['pillbox-dev']);
    });

    it('sends RunInstances with IMDSv2, an encrypted gp3 root, standard credits, terminate on shutdown, a ClientToken and tags on instance, volume and ENI', async () => {
      await provision(aConfig({ ttlHours: 8 }), depsFor(fake));
      const [call] = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand);
      const input = call!.args[0].input;
      expect(input).to.include({ ImageId: 'ami-0al2023', InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, InstanceInitiatedShutdownBehavior: 'terminate', ClientToken: 'pillbox-dev-run00001' });
      expect(input.MetadataOptions).to.deep.equal({ HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 });
      expect(input.BlockDeviceMappings).to.deep.equal([{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 30, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } }]);
      expect(input.CreditSpecification).to.deep.equal({ CpuCredits: 'standard' });
      expect(input.IamInstanceProfile).to.deep.equal({ Name: 'pillbox-dev-instance' });
      expect(input.KeyName, 'no SSH key').to.equal(undefined);
      expect(input.TagSpecifications?.map((t) => t.ResourceType)).to.deep.equal(['instance', 'volume', 'network-interface']);
      for (const spec of input.TagSpecifications ?? []) {
        expect(spec.Tags).to.deep.include.members([
          { Key: 'Project', Value: 'pillbox' },
          { Key: 'Env', Value: 'dev' },
          { Key: 'ManagedBy', Value: 'pillbox' },
          { Key: 'ExpiresAt', Value: '2026-11-21T18:00:00Z' },
          { Key: 'GitSha', Value: SHA },
        ]);
      }
      expect(input.TagSpecifications?.[0]?.Tags).to.deep.include({ Key: 'AmiId', Value: 'ami-0al2023' });
    });

    it('omits the credit specification for a type that is not burstable', async () => {
      await provision(aConfig({ instanceType: 'm6i.large' }), depsFor(fake));
      const input = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input;
      expect(input.CreditSpecification).to.equal(undefined);
    });

    it('opens only the app port to the configured CIDR, never 22', async () => {
      await provision(aConfig({ appPort: 8080, allowedCidr: '198.51.100.0/24' }), depsFor(fake));
      const calls = fake.mocks.ec2.commandCalls(ec2.AuthorizeSecurityGroupIngressCommand);
      expect(calls).to.have.length(1);
      expect(calls[0]!.args[0].input.IpPermissions).to.deep.equal([{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'pillbox app' }] }]);
      expect(world.rules.map((r) => r.port)).to.deep.equal([8080]);
      const sg = fake.mocks.ec2.commandCalls(ec2.CreateSecurityGroupCommand)[0]!.args[0].input;
      expect(sg.VpcId).to.equal('vpc-default1');
      expect(sg.TagSpecifications?.[0]?.Tags).to.deep.include({ Key: 'Env', Value: 'dev' });
    });

    it('stores each secret as a tagged SecureString without Overwrite, and puts no secret in user-data or tags', async () => {
      await provision(aConfig(), depsFor(fake));
      const puts = fake.mocks.ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input).filter((i) => i.Name?.includes('/secrets/'));
      expect(puts).to.have.length(SECRET_NAMES.length);
      for (const p of puts) {
        expect(p.Type).to.equal('SecureString');
        expect(p.Overwrite).to.equal(undefined);
        expect(p.Value).to.match(SECRET_VALUE);
        expect(p.Tags).to.deep.include({ Key: 'Project', Value: 'pillbox' });
      }
      const input = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input;
      const userData = Buffer.from(input.UserData ?? '', 'base64').toString('utf8');
      const everyTag = JSON.stringify(input.TagSpecifications);
      for (const p of puts) {
        expect(userData).not.to.include(p.Value);
        expect(everyTag).not.to.include(p.Value);
      }
      expect(userData.startsWith('#cloud-config\n')).to.equal(true);
    });

    it('writes the least-privilege inline policy scoped to the account, region and environment', async () => {
      await provision(aConfig(), depsFor(fake));
      const put = fake.mocks.iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input;
      const doc = JSON.parse(put.PolicyDocument ?? '{}') as { Statement: { Resource: string | string[]; Action: string[] }[] };
      expect(doc.Statement[1]!.Resource).to.deep.equal(['arn:aws:ssm:eu-west-1:123456789012:parameter/pillbox/dev', 'arn:aws:ssm:eu-west-1:123456789012:parameter/pillbox/dev/*']);
      expect(JSON.stringify(doc)).not.to.include('AmazonSSMManagedInstanceCore');
      const role = fake.mocks.iam.commandCalls(CreateRoleCommand)[0]!.args[0].input;
      expect(JSON.parse(role.AssumeRolePolicyDocument ?? '{}')).to.deep.equal({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    });

    it('waits through each step on the box and releases the lock', async () => {
      const deps = depsFor(fake);
      await provision(aConfig(), deps);
      const scripts = world.sentScripts.map((s) => s.join('\n'));
      expect(scripts[0]).to.include('cloud-init status --wait --long');
      expect(scripts.some((s) => s.includes('docker compose --project-directory /opt/pillbox/compose'))).to.equal(true);
      expect(scripts.at(-1)).to.include('http://127.0.0.1:80/readyz');
      expect(world.params.has('/pillbox/dev/lock')).to.equal(false);
      expect(deps.log()).to.match(/✓ wait: every compose service healthy \(\d+m?\d*s\)/);
    });

    it('returns right after launch with --no-wait', async () => {
      const result = await provision(aConfig({ noWait: true }), depsFor(fake));
      expect(result.waited).to.equal(false);
      expect(world.sentScripts).to.deep.equal([]);
      expect(fake.mocks.ssm.commandCalls(PutParameterCommand).length).to.be.greaterThan(0);
    });
  });

  describe('--plan', () => {
    it('sends no mutating call and lists every resource it would create, with the cost', async () => {
      const result = await provision(aConfig({ plan: true }), depsFor(fake));
      expect(commandNames(fake).filter((n) => MUTATING.test(n))).to.deep.equal([]);
      expect(result.planned).to.equal(true);
      expect(result.steps.map((s) => `${s.action} ${s.resource}`)).to.deep.equal([
        'create bucket',
        'create source',
        'create role',
        'create role-policy',
        'create instance-profile',
        'create secrets',
        'create security-group',
        'create ingress',
        'create instance',
      ]);
      expect(result.hourlyUsd).to.be.closeTo(0.0416 + (30 * 0.08) / 730, 1e-9);
      expect(result.ttlUsd).to.be.closeTo(result.hourlyUsd * 8, 1e-9);
    });

    it('on a running environment plans to keep everything, writing again only what converges', async () => {
      const s3World = anS3World();
      await provision(aConfig(), depsFor(fake, {}, s3World));
      const plan = await provision(aConfig({ plan: true }), depsFor(fake, {}, s3World));
      expect(plan.steps.filter((s) => s.action !== 'keep').map((s) => `${s.action} ${s.resource}`)).to.deep.equal(['update bucket', 'update source', 'update role-policy']);
    });
  });

  describe('re-provision', () => {
    it('converges: keeps the instance and the secrets, creates nothing twice', async () => {
      await provision(aConfig(), depsFor(fake));
      const secrets = new Map([...world.params].map(([k, v]) => [k, v.value]));
      fake.mocks.ec2.resetHistory();
      fake.mocks.ssm.resetHistory();
      fake.mocks.iam.resetHistory();
      const again = await provision(aConfig(), depsFor(fake, { runId: 'run00002' }));
      expect(world.instances).to.have.length(1);
      expect(again.instanceId).to.equal(world.instances[0]!.id);
      expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)).to.have.length(0);
      expect(fake.mocks.ec2.commandCalls(ec2.CreateSecurityGroupCommand)).to.have.length(0);
      expect(fake.mocks.iam.commandCalls(CreateRoleCommand)).to.have.length(0);
      expect(new Map([...world.params].map(([k, v]) => [k, v.value]))).to.deep.equal(secrets);
    });

    it('narrows the ingress rule when the CIDR changes', async () => {
      await provision(aConfig(), depsFor(fake));
      await provision(aConfig({ allowedCidr: '203.0.113.7/32' }), depsFor(fake, { runId: 'run00002' }));
      expect(world.rules.map((r) => `${r.port} ${r.cidr}`)).to.deep.equal(['80 203.0.113.7/32']);
    });

    it('with --replace terminates the old instance and launches a new one', async () => {
      await provision(aConfig(), depsFor(fake));
      const old = world.instances[0]!.id;
      const result = await provision(aConfig({ replace: true }), depsFor(fake, { runId: 'run00002' }));
      expect(world.instances.find((i) => i.id === old)?.state).to.equal('terminated');
      expect(result.instanceId).to.not.equal(old);
      expect(world.instances.filter((i) => i.state === 'running')).to.have.length(1);
    });
  });

  describe('AWS edges', () => {
    it('retries RunInstances on the instance-profile propagation error with the same ClientToken', async () => {
      failNext(world, 'RunInstances', awsError('InvalidParameterValue', 'Value (pillbox-dev-instance) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name'), 3);
      await provision(aConfig(), depsFor(fake));
      const calls = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand);
      expect(calls).to.have.length(4);
      expect(new Set(calls.map((c) => c.args[0].input.ClientToken))).to.deep.equal(new Set(['pillbox-dev-run00001']));
      expect(world.instances).to.have.length(1);
    });

    it('does not retry other InvalidParameterValue errors', async () => {
      failNext(world, 'RunInstances', awsError('InvalidParameterValue', 'Value (x) for parameter userData is invalid'));
      expect((await rejection(provision(aConfig(), depsFor(fake)))).message).to.match(/userData/);
      expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)).to.have.length(1);
    });

    it('leaves nothing behind when RunInstances fails with InsufficientInstanceCapacity', async () => {
      failNext(world, 'RunInstances', awsError('InsufficientInstanceCapacity', 'We currently do not have sufficient t3.medium capacity in the Availability Zone you requested'));
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.name).to.equal('InsufficientInstanceCapacity');
      expect(world.instances).to.deep.equal([]);
      expect(world.groups).to.deep.equal([]);
      expect(world.roles.size).to.equal(0);
      expect(world.profiles.size).to.equal(0);
      expect(world.params.size, 'secrets and lock removed').to.equal(0);
    });

    it('keeps what existed before when a re-provision with --replace cannot launch', async () => {
      await provision(aConfig(), depsFor(fake));
      failNext(world, 'RunInstances', awsError('InsufficientInstanceCapacity'));
      await provision(aConfig({ replace: true }), depsFor(fake, { runId: 'run00002' })).catch(() => undefined);
      expect(world.roles.size).to.equal(1);
      expect(world.groups).to.have.length(1);
      expect([...world.params.keys()].filter((k) => k.includes('/secrets/'))).to.have.length(SECRET_NAMES.length);
    });

    it('refuses an instance type the region does not offer before creating anything', async () => {
      world.unofferedTypes = ['t3.medium'];
      expect((await rejection(provision(aConfig(), depsFor(fake)))).message).to.match(/eu-west-1 does not offer t3.medium/);
      expect(commandNames(fake).filter((n) => MUTATING.test(n))).to.deep.equal([]);
    });

    it('ships a commit no remote has: git is never asked about a remote', async () => {
      const git = aGit();
      await provision(aConfig(), depsFor(fake, { git }));
      expect(git.asked.filter((c) => /ls-remote|fetch|push|remote/.test(c))).to.deep.equal([]);
    });

    it('tells the second of two concurrent provisions who holds the lock', async () => {
      world.params.set('/pillbox/dev/lock', { value: JSON.stringify({ holder: 'bob@ci', command: 'provision', since: '2026-11-21T09:59:00Z' }), type: 'String', tags: [] });
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.message).to.equal('Environment "dev" is locked by bob@ci (provision since 2026-11-21T09:59:00Z).');
      expect(err.hint).to.equal('Wait for that run to finish; if it was interrupted, remove the lock with `aws ssm delete-parameter --name /pillbox/dev/lock`.');
      expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)).to.have.length(0);
      expect(world.params.has('/pillbox/dev/lock'), 'the holder keeps its lock').to.equal(true);
    });

    it('names a lock older than two hours as stale and says how to remove it', async () => {
      world.params.set('/pillbox/dev/lock', { value: JSON.stringify({ holder: 'bob@ci', command: 'provision', since: '2026-11-21T06:00:00Z' }), type: 'String', tags: [] });
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.hint).to.include('aws ssm delete-parameter --name /pillbox/dev/lock');
    });

    it('passes a throttling error that outlasted the SDK retries up as an error (mapped at the top level)', async () => {
      failNext(world, 'CreateRole', awsError('Throttling', 'Rate exceeded'));
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.name).to.equal('Throttling');
      expect(world.params.has('/pillbox/dev/lock')).to.equal(false);
    });

    it('says where to look when a compose service never becomes healthy', async () => {
      world.box.services = [{ Service: 'kibana', State: 'running', Health: 'starting', ExitCode: 0 }];
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.message).to.equal('Timed out after 30 min waiting for every compose service to be healthy.');
      expect(err.hint).to.include('npm run session');
      expect(err.hint).to.include('npm run logs');
    });

    it('stops waiting at once when pillbox.service failed', async () => {
      world.box.unitState = 'failed';
      expect((await rejection(provision(aConfig(), depsFor(fake)))).message).to.equal('pillbox.service failed on the box.');
    });

    it('reports a cloud-init failure with the log location', async () => {
      world.box.cloudInitExit = 1;
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.message).to.include('cloud-init failed on the box');
      expect(err.hint).to.include('/var/log/cloud-init-output.log');
    });
  });
});
