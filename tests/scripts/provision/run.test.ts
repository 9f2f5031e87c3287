import { expect } from 'chai';
import { gunzipSync } from 'node:zlib';
import * as ec2 from '@aws-sdk/client-ec2';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PutParameterCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { trustPolicy } from '../../../scripts/lib/aws/instance-policy.js';
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';
import { REPORT_SEPARATOR } from '../../../scripts/lib/box/bootstrap-status.js';
import { PS_TEMPLATE } from '../../../scripts/lib/box/compose-health.js';
import { SSM_STDOUT_LIMIT } from '../../../scripts/lib/box/ssm-run.js';
import { BOOT_STEPS_MIN, PROVISION_MIN } from '../../../scripts/lib/provision/budget.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { planText, provisionRows } from '../../../scripts/lib/provision/summary.js';
import { AWS_TIMING, awsError, commandNames, failNext, liveInstances, rejection, settle, throttleBurst, useFakeAws, type FakeAws, type PsEntry, type World } from '../fakes/fake-aws.js';
import { aLeafCertificate } from '../../support/certificate.js';
import { aConfig, aGit, depsFor, SHA } from './fixtures.js';

const MUTATING = /^(Create|Put|Delete|Run|Terminate|Authorize|Revoke|Add|Remove|Send|Attach|Detach|Modify)/;
const SECRET_VALUE = /^[A-Za-z0-9_-]{43}$/;
const RUNNING_HOURLY = 0.0416 + (30 * 0.08) / 730 + 0.005;

/** `count` services whose labels make `docker compose ps --format json` print about `labelChars` per line. */
const labelledServices = (count: number, labelChars: number): PsEntry[] =>
  Array.from({ length: count }, (_, i) => ({
    Service: `svc-${String(i).padStart(3, '0')}`,
    State: 'running',
    Health: 'healthy',
    ExitCode: 0,
    Publishers: null,
    Labels: `org.opencontainers.image.description=${'x'.repeat(labelChars)}`,
  }));

describe('provision', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  describe('a fresh environment', () => {
    it('creates role, profile, secrets, security group and one instance, then waits until /readyz answers', async () => {
      const result = await provision(aConfig(), depsFor(fake));
      expect(result.instanceId).to.match(/^i-/);
      // No certificate yet on this box: plain HTTP, and the summary says why.
      expect(result.appUrl).to.equal('http://203.0.113.10/');
      expect(result.edge).to.deep.include({ https: false });
      expect(result.waited).to.equal(true);
      expect(world.instances).to.have.length(1);
      expect([...world.roles.keys()]).to.deep.equal(['pillbox-dev-instance', 'pillbox-dev-scheduler']);
      expect([...world.roles.values()].map((r) => r.boundary), 'every role bounded').to.deep.equal(Array(2).fill('arn:aws:iam::123456789012:policy/pillbox-boundary'));
      expect(JSON.parse(world.schedules.get(`pillbox-dev-expiry-${result.instanceId}`)?.Target?.Input ?? '{}')).to.deep.equal({ InstanceIds: [result.instanceId] });
      expect(world.profiles.get('pillbox-dev-instance')?.roles).to.deep.equal(['pillbox-dev-instance']);
      expect([...world.params.keys()].sort()).to.deep.equal(SECRET_NAMES.map((n) => `/pillbox/dev/secrets/${n}`).sort());
      expect(world.groups.map((g) => g.name)).to.deep.equal(['pillbox-dev']);
    });

    it('waits through the states AWS really passes: pending, the agent late, every invocation unknown at first', async () => {
      const deps = depsFor(fake);
      await provision(aConfig(), deps);
      expect(deps.log()).to.match(/▸ wait: i-[0-9a-f]+ running \(budget 4m00s\)\n {2}… pending \(\d+s of 4m00s\)\n(.*\n)*✓ wait: i-[0-9a-f]+ running/);
      expect(fake.clock.elapsed(), 'at least pending + agent registration').to.be.greaterThan(AWS_TIMING.pendingMs + AWS_TIMING.agentOnlineMs);
      const byId = fake.mocks.ec2.commandCalls(ec2.DescribeInstancesCommand).filter((c) => c.args[0].input.InstanceIds);
      expect(byId.length, 'polled while unknown, then pending').to.be.greaterThan(2);
    });

    it('sends RunInstances with IMDSv2, an encrypted gp3 root, unlimited credits for the boot, terminate on shutdown, a ClientToken and tags on instance, volume and ENI', async () => {
      await provision(aConfig({ ttlHours: 8 }), depsFor(fake));
      const [call] = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand);
      const input = call!.args[0].input;
      expect(input).to.include({ ImageId: 'ami-0al2023', InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, InstanceInitiatedShutdownBehavior: 'terminate', ClientToken: 'pillbox-dev-run00001' });
      expect(input.MetadataOptions).to.deep.equal({ HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 });
      expect(input.BlockDeviceMappings).to.deep.equal([{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 30, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } }]);
      expect(input.CreditSpecification).to.deep.equal({ CpuCredits: 'unlimited' });
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

    it('opens HTTP to everyone (the ACME challenge) and HTTPS to the configured CIDR only, never 22', async () => {
      await provision(aConfig({ allowedCidr: '198.51.100.0/24' }), depsFor(fake));
      const calls = fake.mocks.ec2.commandCalls(ec2.AuthorizeSecurityGroupIngressCommand);
      expect(calls).to.have.length(1);
      expect(calls[0]!.args[0].input.IpPermissions).to.deep.equal([
        { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'pillbox edge: ACME challenge and redirect' }] },
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'pillbox edge' }] },
      ]);
      expect(world.rules.map((r) => r.port)).to.deep.equal([80, 443]);
      const sg = fake.mocks.ec2.commandCalls(ec2.CreateSecurityGroupCommand)[0]!.args[0].input;
      expect(sg.VpcId).to.equal('vpc-default1');
      expect(sg.TagSpecifications?.[0]?.Tags).to.deep.include({ Key: 'Env', Value: 'dev' });
    });

    it('uses its group in the default VPC, not a namesake in another VPC', async () => {
      world.groups.push({ id: 'sg-foreign', name: 'pillbox-dev', vpcId: 'vpc-other', tags: [] });
      await provision(aConfig(), depsFor(fake));
      const own = world.groups.find((g) => g.vpcId === 'vpc-default1');
      expect(own?.name).to.equal('pillbox-dev');
      expect(world.instances[0]!.groupIds).to.deep.equal([own!.id]);
      expect(world.groups.find((g) => g.id === 'sg-foreign'), 'left alone').to.deep.equal({ id: 'sg-foreign', name: 'pillbox-dev', vpcId: 'vpc-other', tags: [] });
    });

    it('stores each secret as a tagged SecureString without Overwrite, and puts no secret in user-data or tags', async () => {
      await provision(aConfig(), depsFor(fake));
      const puts = fake.mocks.ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input).filter((i) => i.Name?.includes('/secrets/'));
      expect(puts).to.have.length(SECRET_NAMES.length);
      expect(puts.map((p) => p.Name), "the app's write password among them").to.include('/pillbox/dev/secrets/WRITE_PASSWORD');
      for (const p of puts) {
        expect(p.Type).to.equal('SecureString');
        expect(p.Overwrite).to.equal(undefined);
        expect(p.Value).to.match(SECRET_VALUE);
        expect(p.Tags).to.deep.include({ Key: 'Project', Value: 'pillbox' });
      }
      const input = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input;
      const userData = gunzipSync(Buffer.from(input.UserData ?? '', 'base64')).toString('utf8');
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
      // The app is reached through the edge's box-local port; then the edge says which mode it serves.
      expect(scripts.at(-2)).to.include('http://127.0.0.1:8080/readyz');
      expect(scripts.at(-1)).to.include('PILLBOX_SITE=');
      expect(world.params.has('/pillbox/dev/lock')).to.equal(false);
      expect(deps.log()).to.match(/✓ wait: every compose service healthy \(\d+m?\d*s\)/);
    });

    it('returns right after launch with --no-wait', async () => {
      const result = await provision(aConfig({ noWait: true }), depsFor(fake));
      expect(result.waited).to.equal(false);
      expect(world.sentScripts).to.deep.equal([]);
      expect(fake.mocks.ssm.commandCalls(PutParameterCommand).length).to.be.greaterThan(0);
    });

    it('says while it holds the lock, for what an interruption tells the operator to type', async () => {
      const lock = { held: false };
      const deps = depsFor(fake, { lock });
      const held: string[] = [];
      const step = deps.progress.step.bind(deps.progress);
      deps.progress.step = (label, fn, options) => (held.push(`${lock.held ? 'held' : 'free'} ${label.split(':')[0]}`), step(label, fn, options));
      await provision(aConfig(), deps);
      expect(held[0]).to.equal('free preflight');
      expect(held).to.include('held look at what exists');
      expect(held.filter((h) => h.includes(' wait')).every((h) => h.startsWith('free')), 'the boot waits come after the release').to.equal(true);
      expect(lock.held, 'released with the lock').to.equal(false);
      expect(world.params.has('/pillbox/dev/lock')).to.equal(false);
    });
  });

  describe('CPU credits', () => {
    it('keeps a T-family box in unlimited mode for its whole life: launched unlimited, never switched to standard', async () => {
      await provision(aConfig(), depsFor(fake));
      await provision(aConfig(), depsFor(fake, { runId: 'run00002' }));
      expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input.CreditSpecification).to.deep.equal({ CpuCredits: 'unlimited' });
      expect(world.instances[0]!.creditMode).to.equal('unlimited');
      expect(world.log).to.not.include('ModifyInstanceCreditSpecification');
    });

    it('sends no credit specification for a type without credits', async () => {
      await provision(aConfig({ instanceType: 'm6i.large' }), depsFor(fake));
      expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input.CreditSpecification).to.equal(undefined);
    });
  });

  describe('--plan', () => {
    it('sends no mutating call and lists every resource it would create, with the cost including the public IPv4', async () => {
      const result = await provision(aConfig({ plan: true }), depsFor(fake));
      expect(commandNames(fake).filter((n) => MUTATING.test(n))).to.deep.equal([]);
      expect(result.planned).to.equal(true);
      expect(result.steps.map((s) => `${s.action} ${s.resource}`)).to.deep.equal([
        'create bucket',
        'create source',
        'create role',
        'create role-policy',
        'create instance-profile',
        'create scheduler-role',
        'create secrets',
        'create security-group',
        'create ingress',
        'create instance',
        'create expiry-schedule',
      ]);
      const withDomain = await provision(aConfig({ plan: true, domain: 'app.example.com' }), depsFor(fake));
      expect(withDomain.steps.filter((s) => s.resource === 'elastic-ip').map((s) => `${s.action} ${s.detail}`)).to.deep.equal([
        'create for app.example.com',
        'update attach to the instance once it runs',
      ]);
      expect(result.hourlyUsd).to.be.closeTo(RUNNING_HOURLY, 1e-9);
      expect(result.ttlUsd).to.be.closeTo(RUNNING_HOURLY * 8, 1e-9);
    });

    it('shows the CPU credit worst case: every vCPU at 100% in unlimited mode for the whole TTL', async () => {
      const result = await provision(aConfig({ plan: true, ttlHours: 8 }), depsFor(fake));
      // t3.medium: 2 vCPUs, 20% baseline each, so 1.6 vCPU of surplus at $0.05 per vCPU-hour.
      expect(result.creditCeiling?.hourlyUsd).to.be.closeTo(0.08, 1e-9);
      expect(result.creditCeiling?.ttlUsd).to.be.closeTo(0.64, 1e-9);
      expect(provisionRows(result)).to.deep.include(['CPU credits', "unlimited for the box's life; worst case: +$0.0800/h, $0.6400 over the TTL"]);
      expect(planText(result)).to.include('t3.medium, CPU credits unlimited');
      const m6i = await provision(aConfig({ plan: true, instanceType: 'm6i.large' }), depsFor(fake));
      expect(m6i.creditCeiling).to.equal(undefined);
    });

    it('prices the type that ships container logs on a 4 GiB box, and starts Filebeat on an 8 GiB one', async () => {
      const medium = await provision(aConfig({ plan: true, ttlHours: 8 }), depsFor(fake));
      // t3a.large is the cheapest listed 8 GiB type; the volume and the public IPv4 are priced as for the box.
      const fullSet = 0.0752 + (30 * 0.08) / 730 + 0.005;
      expect(medium.containerLogs.shipped).to.equal(false);
      expect(medium.containerLogs.fullSet?.instanceType).to.equal('t3a.large');
      expect(medium.containerLogs.fullSet?.hourlyUsd).to.be.closeTo(fullSet, 1e-9);
      expect(medium.containerLogs.fullSet?.ttlUsd).to.be.closeTo(fullSet * 8, 1e-9);
      const large = await provision(aConfig({ instanceType: 't3.large' }), depsFor(fake));
      expect(large.containerLogs).to.deep.equal({ shipped: true });
      const userData = gunzipSync(Buffer.from(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input.UserData ?? '', 'base64')).toString('utf8');
      expect(userData).to.match(/ExecStart=\/usr\/bin\/docker compose .* --profile logs up -d --wait/);
      expect(world.instances[0]!.tags).to.deep.include({ Key: 'StackProfiles', Value: 'logs' });
    });

    it('tells what a kept box runs from its StackProfiles tag, not from its type', async () => {
      await provision(aConfig({ instanceType: 't3.large' }), depsFor(fake));
      const kept = await provision(aConfig(), depsFor(fake, { runId: 'run00002' }));
      expect(kept.containerLogs).to.deep.equal({ shipped: true });
      // A box launched before the tag existed started no optional profile, whatever its type.
      const box = world.instances[0]!;
      box.tags = box.tags.filter((t) => t.Key !== 'StackProfiles');
      const older = await provision(aConfig(), depsFor(fake, { runId: 'run00003' }));
      expect(older.containerLogs.shipped).to.equal(false);
      expect(provisionRows(older).find(([label]) => label === 'Logs')?.[1]).to.match(/^container logs not shipped/);
    });

    it('prints its time budget, the one the waits use', async () => {
      const deps = depsFor(fake);
      const result = await provision(aConfig({ plan: true }), deps);
      const budget = `${PROVISION_MIN} min: 5 to launch, 42 to boot (running 4, SSM agent 5, cloud-init 8, services healthy 20, /readyz 3, the edge 2)`;
      expect(deps.log()).to.include(`Time budget: ${budget}.`);
      expect(result.budgetMinutes).to.equal(PROVISION_MIN);
      expect(provisionRows(result)).to.deep.include(['Time budget', budget]);
    });

    it('on a running environment plans to keep everything, writing again only what converges', async () => {
      await provision(aConfig(), depsFor(fake));
      const plan = await provision(aConfig({ plan: true }), depsFor(fake));
      expect(plan.steps.filter((s) => s.action !== 'keep').map((s) => `${s.action} ${s.resource}`)).to.deep.equal(['update bucket', 'update source', 'update role-policy', 'update scheduler-role', 'update edge-range']);
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

    it('narrows the HTTPS rule when the CIDR changes, and HTTP stays open to everyone', async () => {
      await provision(aConfig(), depsFor(fake));
      await provision(aConfig({ allowedCidr: '203.0.113.7/32' }), depsFor(fake, { runId: 'run00002' }));
      expect(world.rules.map((r) => `${r.port} ${r.cidr}`)).to.deep.equal(['80 0.0.0.0/0', '443 203.0.113.7/32']);
    });

    it('converges a group of an earlier release (HTTP from the allowed range only) to HTTP from everyone, keeping HTTPS', async () => {
      await provision(aConfig({ allowedCidr: '203.0.113.7/32' }), depsFor(fake));
      const groupId = world.rules[0]!.groupId;
      world.rules = [
        { id: 'sgr-old80', groupId, port: 80, cidr: '203.0.113.7/32' },
        { id: 'sgr-old443', groupId, port: 443, cidr: '203.0.113.7/32' },
      ];
      const result = await provision(aConfig(), depsFor(fake, { runId: 'run00002' }));
      expect(result.steps.find((s) => s.resource === 'ingress')).to.deep.include({ action: 'update', name: 'tcp 80 from 0.0.0.0/0, tcp 443 from 203.0.113.7/32' });
      expect(fake.mocks.ec2.commandCalls(ec2.RevokeSecurityGroupIngressCommand).at(-1)!.args[0].input.SecurityGroupRuleIds).to.deep.equal(['sgr-old80']);
      expect(world.rules.map((r) => `${r.port} ${r.cidr}`)).to.deep.equal(['443 203.0.113.7/32', '80 0.0.0.0/0']);
    });
  });

  describe('--replace', () => {
    it('launches the new box first and retires the old one only once the new one is healthy', async () => {
      await provision(aConfig(), depsFor(fake));
      const old = world.instances[0]!.id;
      world.log.length = 0;
      const result = await provision(aConfig({ replace: true }), depsFor(fake, { runId: 'run00002' }));
      expect(result.instanceId).to.not.equal(old);
      expect(result.replaced).to.equal(old);
      expect(world.log.indexOf('TerminateInstances')).to.be.greaterThan(world.log.lastIndexOf('SendCommand'));
      expect(world.log.indexOf('RunInstances')).to.be.lessThan(world.log.indexOf('TerminateInstances'));
      await settle(world);
      expect(liveInstances(world).map((i) => i.id)).to.deep.equal([result.instanceId]);
      expect(world.instances.find((i) => i.id === old)?.state).to.equal('terminated');
      // So a re-run after a crash can tell an unfinished replace from two unrelated boxes (plan.ts currentInstance).
      const [first, second] = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand).map((c) => c.args[0].input.TagSpecifications?.[0]?.Tags?.find((t) => t.Key === 'Replaces'));
      expect([first, second]).to.deep.equal([undefined, { Key: 'Replaces', Value: old }]);
    });

    it('starts the logs profile on a replacement that inherits an 8 GiB type, and tags it so', async () => {
      await provision(aConfig({ instanceType: 't3.large' }), depsFor(fake));
      const result = await provision(aConfig({ replace: true }), depsFor(fake, { runId: 'run00002' }));
      const input = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand).at(-1)!.args[0].input;
      expect(input.InstanceType).to.equal('t3.large');
      expect(gunzipSync(Buffer.from(input.UserData ?? '', 'base64')).toString('utf8')).to.match(/ExecStart=\/usr\/bin\/docker compose .* --profile logs up -d --wait/);
      expect(world.instances.find((i) => i.id === result.instanceId)?.tags).to.deep.include({ Key: 'StackProfiles', Value: 'logs' });
      expect(result.containerLogs).to.deep.equal({ shipped: true });
    });

    it('keeps the old box serving, and says why, when the replacement cannot launch', async () => {
      await provision(aConfig(), depsFor(fake));
      const old = world.instances[0]!;
      failNext(world, 'RunInstances', awsError('InsufficientInstanceCapacity', 'We currently do not have sufficient t3.medium capacity'));
      const err = await rejection(provision(aConfig({ replace: true }), depsFor(fake, { runId: 'run00002' })));
      expect(err.name).to.equal('InsufficientInstanceCapacity');
      expect(fake.mocks.ec2.commandCalls(ec2.TerminateInstancesCommand)).to.have.length(0);
      await settle(world);
      expect(liveInstances(world).map((i) => [i.id, i.state])).to.deep.equal([[old.id, 'running']]);
      expect(old.box.readyz, 'the old box still answers').to.equal('200');
      expect(world.rules.map((r) => `${r.groupId} ${r.port}`)).to.deep.equal([`${old.groupIds[0]} 80`, `${old.groupIds[0]} 443`]);
      expect([...world.roles.keys()]).to.deep.equal(['pillbox-dev-instance', 'pillbox-dev-scheduler']);
      expect([...world.schedules.keys()], 'the old box keeps its expiry schedule').to.deep.equal([`pillbox-dev-expiry-${old.id}`]);
      expect([...world.params.keys()].filter((k) => k.includes('/secrets/'))).to.have.length(SECRET_NAMES.length);
    });

    it('keeps the old box serving and removes the replacement when the replacement never becomes healthy', async () => {
      await provision(aConfig(), depsFor(fake));
      const old = world.instances[0]!.id;
      world.box.cloudInitExit = 1;
      const err = await rejection(provision(aConfig({ replace: true }), depsFor(fake, { runId: 'run00002' })));
      const replacement = world.instances[1]!.id;
      expect(err.message).to.match(/^The replacement box never became healthy: cloud-init failed on the box:\n/);
      expect(err.message).to.match(new RegExp(`\\n${old} keeps serving; ${replacement} was terminated\\.$`));
      expect(err.hint).to.include('/var/log/cloud-init-output.log');
      await settle(world);
      expect(liveInstances(world).map((i) => [i.id, i.state])).to.deep.equal([[old, 'running']]);
    });

    it('refuses --no-wait before touching anything: the old box may only go once the new one is healthy', async () => {
      await provision(aConfig(), depsFor(fake));
      world.log.length = 0;
      const err = await rejection(provision(aConfig({ replace: true, noWait: true }), depsFor(fake, { runId: 'run00002' })));
      expect(err.message).to.include('cannot be combined with --no-wait');
      expect(world.log.filter((n) => MUTATING.test(n))).to.deep.equal([]);
    });
  });

  describe('HTTPS', () => {
    it('reports HTTPS, the issuer and the expiry once the edge holds a certificate, and links the https URL', async () => {
      world.box.edge = `site 203.0.113.10\n${aLeafCertificate("/O=Let's Encrypt/CN=203.0.113.10", 6)}`;
      const result = await provision(aConfig(), depsFor(fake));
      expect(result.appUrl).to.equal('https://203.0.113.10/');
      expect(result.edge).to.deep.include({ https: true });
      expect((result.edge as { summary: string }).summary).to.match(/^HTTPS, certificate from Let's Encrypt valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d+ days left; Caddy renews it\)$/);
    });

    describe('with --domain', () => {
      it('allocates a tagged Elastic IP, attaches it to the instance once it runs, and names it for the DNS record', async () => {
        const result = await provision(aConfig({ domain: 'app.example.com' }), depsFor(fake));
        expect(world.addresses).to.have.length(1);
        const [address] = world.addresses;
        expect(address!.instanceId).to.equal(result.instanceId);
        expect(address!.tags).to.deep.include.members([
          { Key: 'Project', Value: 'pillbox' },
          { Key: 'Env', Value: 'dev' },
          { Key: 'ManagedBy', Value: 'pillbox' },
          { Key: 'Name', Value: 'pillbox-dev' },
        ]);
        expect(result).to.deep.include({ domain: 'app.example.com', elasticIp: address!.publicIp, publicIp: address!.publicIp });
        const first = (command: string) => world.log.indexOf(command);
        expect(first('AllocateAddress')).to.be.lessThan(first('RunInstances'));
        expect(first('AssociateAddress'), 'attached before the box is waited for').to.be.lessThan(first('SendCommand'));
        const userData = gunzipSync(Buffer.from(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input.UserData ?? '', 'base64')).toString('utf8');
        expect(userData).to.include('PILLBOX_DOMAIN=app.example.com');
        expect(userData).to.include('PILLBOX_ACME_PROFILE=classic');
      });

      it('with --replace, moves the same address to the new box once it is healthy, just before the old one retires', async () => {
        await provision(aConfig({ domain: 'app.example.com' }), depsFor(fake));
        const ip = world.addresses[0]!.publicIp;
        world.log.length = 0;
        const again = await provision(aConfig({ domain: 'app.example.com', replace: true }), depsFor(fake, { runId: 'run00002' }));
        expect(world.addresses).to.have.length(1);
        expect(world.addresses[0]).to.deep.include({ publicIp: ip, instanceId: again.instanceId });
        expect(again).to.deep.include({ elasticIp: ip, publicIp: ip });
        expect(world.log.indexOf('AssociateAddress')).to.be.greaterThan(world.log.lastIndexOf('SendCommand'));
        expect(world.log.indexOf('AssociateAddress')).to.be.lessThan(world.log.indexOf('TerminateInstances'));
      });

      it('keeps the address when a later provision has no domain (a DNS record may point at it)', async () => {
        await provision(aConfig({ domain: 'app.example.com' }), depsFor(fake));
        const plan = await provision(aConfig({ plan: true }), depsFor(fake, { runId: 'run00002' }));
        expect(plan.steps.filter((s) => s.resource === 'elastic-ip').map((s) => s.action)).to.deep.equal(['keep']);
      });

      it('releases the address it allocated when the launch fails', async () => {
        failNext(world, 'RunInstances', awsError('InsufficientInstanceCapacity'));
        await rejection(provision(aConfig({ domain: 'app.example.com' }), depsFor(fake)));
        expect(world.addresses).to.deep.equal([]);
      });
    });
  });

  describe('AWS edges', () => {
    it('retries RunInstances while EC2 does not see the new instance profile yet, with the same ClientToken', async () => {
      // Longer than the wait for the instance policy to settle before the launch.
      world.timing.profileVisibleMs = 30_000;
      await provision(aConfig(), depsFor(fake));
      const calls = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand);
      expect(calls.length).to.be.greaterThan(1);
      expect(new Set(calls.map((c) => c.args[0].input.ClientToken))).to.deep.equal(new Set(['pillbox-dev-run00001']));
      expect(world.instances).to.have.length(1);
    });

    it('gives up on a profile EC2 never sees after 2 minutes, saying so, and undoes the run', async () => {
      world.timing.profileVisibleMs = 30 * 60_000;
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.message).to.equal('EC2 still does not see the instance profile pillbox-dev-instance after 120 s (IAM changes take a while to reach EC2).');
      expect(world.instances).to.deep.equal([]);
      expect(world.profiles.size).to.equal(0);
    });

    it('does not retry other InvalidParameterValue errors', async () => {
      world.timing.profileVisibleMs = 0;
      failNext(world, 'RunInstances', awsError('InvalidParameterValue', 'Value (x) for parameter userData is invalid'));
      expect((await rejection(provision(aConfig(), depsFor(fake)))).message).to.match(/userData/);
      expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)).to.have.length(1);
    });

    it('leaves nothing behind when RunInstances fails with InsufficientInstanceCapacity', async () => {
      world.timing.profileVisibleMs = 0;
      failNext(world, 'RunInstances', awsError('InsufficientInstanceCapacity', 'We currently do not have sufficient t3.medium capacity in the Availability Zone you requested'));
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.name).to.equal('InsufficientInstanceCapacity');
      expect(world.instances).to.deep.equal([]);
      expect(world.groups).to.deep.equal([]);
      expect(world.roles.size).to.equal(0);
      expect(world.profiles.size).to.equal(0);
      expect(world.params.size, 'secrets and lock removed').to.equal(0);
    });

    it('names what undoing a failed launch could not remove, and how to remove it', async () => {
      world.timing.profileVisibleMs = 0;
      failNext(world, 'RunInstances', awsError('InsufficientInstanceCapacity', 'We currently do not have sufficient t3.medium capacity'));
      failNext(world, 'DeleteSecurityGroup', awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      const sg = world.groups[0]!.id;
      expect(err.message).to.equal(
        `AWS has no capacity for this instance type in the chosen zone right now.\nUndoing this run left behind: security group ${sg} (UnauthorizedOperation: You are not authorized to perform this operation.).`,
      );
      expect(err.hint).to.equal('Remove them with `npm run teardown -- --env dev --region eu-west-1` (it finds them by name and tag).');
      expect(world.roles.size, 'the rest was still undone').to.equal(0);
      expect([...world.params.keys()]).to.deep.equal([]);
    });

    it('carries on when a concurrent run created the role first (EntityAlreadyExistsException, as SDK v3 names it)', async () => {
      world.onCall = (command) => {
        // The other run made it as pillbox does: at /, with the instance trust and the environment's tags.
        const made = { path: '/', trust: JSON.stringify(trustPolicy()), tags: [{ Key: 'Env', Value: 'dev' }], policies: new Map<string, string>(), attached: [] };
        if (command === 'CreateRole' && !world.roles.has('pillbox-dev-instance')) world.roles.set('pillbox-dev-instance', made);
      };
      const result = await provision(aConfig(), depsFor(fake));
      expect(result.waited).to.equal(true);
      expect([...world.roles.get('pillbox-dev-instance')!.policies.keys()]).to.deep.equal(['pillbox-dev-instance']);
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
      expect(err.hint).to.equal('Wait for that run to finish; if it was interrupted, remove the lock with `npm run unlock -- --env dev --region eu-west-1`.');
      expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)).to.have.length(0);
      expect(world.params.has('/pillbox/dev/lock'), 'the holder keeps its lock').to.equal(true);
    });

    it('names a lock older than two hours as stale and says how to remove it', async () => {
      world.params.set('/pillbox/dev/lock', { value: JSON.stringify({ holder: 'bob@ci', command: 'provision', since: '2026-11-21T06:00:00Z' }), type: 'String', tags: [] });
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.hint).to.equal('That lock is over 2 hours old, so its run probably died: remove it with `npm run unlock -- --env dev --region eu-west-1` and run again.');
    });

    it('passes up a throttling error on a mutating call (as the SDK does once its own retries are spent), undoing and releasing the lock', async () => {
      throttleBurst(world, 'PutRolePolicy', 1);
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.name).to.equal('Throttling');
      expect(world.roles.size, 'the role it created is undone').to.equal(0);
      expect(world.params.has('/pillbox/dev/lock')).to.equal(false);
    });

    it('rides out throttling bursts on every poll while it waits for the box', async () => {
      throttleBurst(world, 'DescribeInstances', 3, 'RunInstances');
      throttleBurst(world, 'DescribeInstanceInformation', 3);
      throttleBurst(world, 'SendCommand', 2);
      throttleBurst(world, 'GetCommandInvocation', 3);
      const result = await provision(aConfig(), depsFor(fake));
      expect(result.waited).to.equal(true);
      expect(world.bursts.map((b) => b.remaining)).to.deep.equal([0, 0, 0, 0]);
    });

    it('reads service health in a compact form that stays far below SSM’s 24,000-character cap, where `--format json` would not', async () => {
      world.box.services = labelledServices(9, 3000);
      const json = world.box.services.map((s) => JSON.stringify(s)).join('\n');
      expect(json.length, 'what --format json would print').to.be.greaterThan(SSM_STDOUT_LIMIT);
      const result = await provision(aConfig(), depsFor(fake));
      expect(result.waited).to.equal(true);
      const probe = fake.mocks.ssm.commandCalls(SendCommandCommand).find((c) => c.args[0].input.Parameters?.commands?.some((l) => l.includes(' ps --all')));
      expect(probe!.args[0].input.Parameters?.commands?.[2]).to.include(`ps --all --format '${PS_TEMPLATE}'`);
    });

    it('refuses a probe answer that reached the cap instead of reading a cut list as fewer services', async () => {
      world.box.services = labelledServices(400, 10);
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.message.split('\nThe box ')[0]).to.equal("The box's answer to the stack probe reached SSM's 24,000-character cap and was cut.");
    });

    it('says where to look when a compose service never becomes healthy, within its time budget', async () => {
      world.box.services = [{ Service: 'kibana', State: 'running', Health: 'starting', ExitCode: 0 }];
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.message.split('\nThe box ')[0]).to.equal(`Timed out after ${BOOT_STEPS_MIN.stack} min waiting for every compose service to be healthy.`);
      expect(err.hint).to.include('npm run session');
      expect(err.hint).to.include('npm run logs');
      expect(fake.clock.elapsed()).to.be.at.most(PROVISION_MIN * 60_000);
    });

    it('stops waiting at once when pillbox.service failed', async () => {
      world.box.unitState = 'failed';
      expect((await rejection(provision(aConfig(), depsFor(fake)))).message.split('\nThe box ')[0]).to.equal('pillbox.service failed on the box.');
    });

    it('reports a cloud-init failure with the log location', async () => {
      world.box.cloudInitExit = 1;
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.message).to.include('cloud-init failed on the box');
      expect(err.hint).to.include('/var/log/cloud-init-output.log');
    });

    it('names the bootstrap step that failed, with the last lines of its log', async () => {
      world.box.cloudInitExit = 1;
      world.box.bootstrapReport = `state=failed\nstep=source\nexit=65\n${REPORT_SEPARATOR}\n== pillbox-bootstrap: source\nchecksum mismatch: s3://pillbox-123456789012-eu-west-1/envs/dev/source/3f2a1c0.tar.gz has SHA-256 aa, expected bb\n`;
      const err = await rejection(provision(aConfig(), depsFor(fake)));
      expect(err.message.split('\nThe box ')[0]).to.equal(
        'cloud-init failed on the box: the first boot stopped at step "source" (exit 65):\n== pillbox-bootstrap: source\nchecksum mismatch: s3://pillbox-123456789012-eu-west-1/envs/dev/source/3f2a1c0.tar.gz has SHA-256 aa, expected bb',
      );
      expect(err.hint).to.match(/^Read \/var\/log\/pillbox-bootstrap\.log on the box \(`npm run session`\), fix, then `npm run provision -- --replace`\. /);
    });
  });
});
