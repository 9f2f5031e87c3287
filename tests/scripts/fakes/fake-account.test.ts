// The fake account refuses what AWS refuses: each rule here is one a lenient fake would let a bug through.
import * as ec2 from '@aws-sdk/client-ec2';
import * as iam from '@aws-sdk/client-iam';
import * as tagging from '@aws-sdk/client-resource-groups-tagging-api';
import * as scheduler from '@aws-sdk/client-scheduler';
import * as ssm from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { instancePolicy } from '../../../scripts/lib/aws/instance-policy.js';
import { main as provision } from '../../../scripts/provision.js';
import { rejection, settle, useFakeAws, type FakeAws, type World } from './fake-aws.js';
import { cliDeps } from './fake-cli.js';
import { AGENT_ACTIONS, agentActionsDenied } from './fake-ssm-agent.js';
import { checkInlinePolicy, ROLE_INLINE_POLICY_CHARS } from './fake-validation.js';

const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/pillbox-dev-instance`;
const policyOf = () => instancePolicy({ env: 'dev', region: 'eu-west-1', accountId: ACCOUNT });

describe('the fake account', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  describe('Resource Groups Tagging API', () => {
    const tagged = [{ Key: 'Project', Value: 'pillbox' }];

    it('answers GetResources with an empty first page, then pages until an empty token', async () => {
      for (const n of [1, 2, 3]) world.params.set(`/pillbox/e${n}/x`, { value: 'v', type: 'String', tags: tagged });
      world.params.set('/other/x', { value: 'v', type: 'String', tags: [] });
      const input = { TagFilters: [{ Key: 'Project', Values: ['pillbox'] }], ResourceTypeFilters: ['ssm:parameter'] };
      const first = await fake.clients.tagging.send(new tagging.GetResourcesCommand(input));
      expect(first.ResourceTagMappingList).to.deep.equal([]);
      const arns: string[] = [];
      let token = first.PaginationToken;
      while (token) {
        const page = await fake.clients.tagging.send(new tagging.GetResourcesCommand({ ...input, PaginationToken: token }));
        arns.push(...(page.ResourceTagMappingList ?? []).map((m) => m.ResourceARN ?? ''));
        token = page.PaginationToken;
      }
      expect(arns).to.deep.equal([1, 2, 3].map((n) => `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/pillbox/e${n}/x`));
      expect(token).to.equal('');
    });

    it('refuses a page over 100 resources, and a token it never gave', async () => {
      expect((await rejection(fake.clients.tagging.send(new tagging.GetResourcesCommand({ ResourcesPerPage: 101 })))).name).to.equal('InvalidParameterException');
      expect((await rejection(fake.clients.tagging.send(new tagging.GetResourcesCommand({ PaginationToken: 'nope' })))).name).to.equal('PaginationTokenExpiredException');
    });
  });

  describe('SSM agent', () => {
    it("needs the heartbeat and both message endpoints of AmazonSSMManagedInstanceCore, and the instance policy allows each", async () => {
      expect(AGENT_ACTIONS).to.include.members(['ssm:UpdateInstanceInformation', 'ec2messages:GetMessages', 'ssmmessages:OpenControlChannel']);
      expect(await agentActionsDenied(ROLE_ARN, ACCOUNT, [JSON.stringify(policyOf())])).to.deep.equal([]);
    });

    for (const dropped of ['ec2messages:GetMessages', 'ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel']) {
      it(`never comes online on a box whose role lacks ${dropped}`, async () => {
        world.onCall = (command) => {
          if (command !== 'RunInstances') return;
          const role = world.roles.get('pillbox-dev-instance')!;
          const doc = policyOf();
          doc.Statement[0]!.Action = (doc.Statement[0]!.Action as string[]).filter((a) => a !== dropped);
          role.policies.set([...role.policies.keys()][0]!, JSON.stringify(doc));
        };
        await provision(['--env', 'dev', '--ci', '--no-wait'], cliDeps(fake));
        await settle(world, 600_000);
        const box = world.instances[0]!;
        const listed = await fake.clients.ssm.send(new ssm.DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [box.id] }] }));
        const next = listed.NextToken ? await fake.clients.ssm.send(new ssm.DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [box.id] }], NextToken: listed.NextToken })) : listed;
        expect(next.InstanceInformationList ?? []).to.deep.equal([]);
        const err = await rejection(fake.clients.ssm.send(new ssm.SendCommandCommand({ InstanceIds: [box.id], DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'] } })));
        expect(err.name).to.equal('InvalidInstanceId');
      });
    }
  });

  describe('IAM', () => {
    beforeEach(() => world.roles.set('r', { path: '/', trust: '', tags: [], policies: new Map(), attached: [] }));
    const put = (doc: string) => fake.clients.iam.send(new iam.PutRolePolicyCommand({ RoleName: 'r', PolicyName: 'p', PolicyDocument: doc }));

    it('refuses a policy that is not JSON, or lacks a Version, an Effect, an Action or a Resource', async () => {
      const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };
      for (const doc of ['{"Version":', JSON.stringify({ Statement: [statement] }), JSON.stringify({ Version: '2012-10-17', Statement: [{ ...statement, Effect: 'allow' }] }), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '*' }] }), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject' }] })]) {
        expect((await rejection(put(doc))).name, doc).to.equal('MalformedPolicyDocumentException');
      }
      expect(world.roles.get('r')!.policies.size).to.equal(0);
    });

    it(`refuses inline policies that together exceed ${ROLE_INLINE_POLICY_CHARS} characters (white space not counted)`, async () => {
      const big = (n: number) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: Array.from({ length: n }, (_, i) => `arn:aws:s3:::b/${i}`) }] });
      await put(big(300));
      expect((await rejection(fake.clients.iam.send(new iam.PutRolePolicyCommand({ RoleName: 'r', PolicyName: 'q', PolicyDocument: big(300) })))).name).to.equal('LimitExceededException');
      expect(() => checkInlinePolicy('r', 'p', JSON.stringify(policyOf(), null, 8), new Map())).not.to.throw();
    });

    it('refuses a trust policy without a Principal', async () => {
      const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] });
      const err = await rejection(fake.clients.iam.send(new iam.CreateRoleCommand({ RoleName: 'x', AssumeRolePolicyDocument: doc, PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/pillbox-boundary` })));
      expect(err.name).to.equal('MalformedPolicyDocumentException');
    });
  });

  describe('EC2', () => {
    it('refuses an ingress rule the group already has (InvalidPermission.Duplicate) and adds none of the request', async () => {
      world.groups.push({ id: 'sg-1', name: 'g', vpcId: world.vpcId, tags: [] });
      const rule = (port: number) => ({ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '0.0.0.0/0' }] });
      await fake.clients.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: 'sg-1', IpPermissions: [rule(443)] }));
      const err = await rejection(fake.clients.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: 'sg-1', IpPermissions: [rule(80), rule(443)] })));
      expect(err.name).to.equal('InvalidPermission.Duplicate');
      expect(world.rules.map((r) => r.port)).to.deep.equal([443]);
    });

    it('lists a terminated instance for about an hour, then no more', async () => {
      await provision(['--env', 'dev', '--ci', '--no-wait'], cliDeps(fake));
      const id = world.instances[0]!.id;
      // EC2 knows a fresh launch by id only once its describe lag has passed.
      await settle(world, world.timing.describeLagMs);
      await fake.clients.ec2.send(new ec2.TerminateInstancesCommand({ InstanceIds: [id] }));
      await settle(world, 30 * 60_000);
      const during = await fake.clients.ec2.send(new ec2.DescribeInstancesCommand({ InstanceIds: [id] }));
      expect(during.Reservations?.[0]?.Instances?.[0]?.State?.Name).to.equal('terminated');
      await settle(world, 40 * 60_000);
      expect((await rejection(fake.clients.ec2.send(new ec2.DescribeInstancesCommand({ InstanceIds: [id] })))).name).to.equal('InvalidInstanceID.NotFound');
    });
  });

  describe('EventBridge Scheduler', () => {
    const schedule = (overrides: Partial<scheduler.CreateScheduleCommandInput> = {}, target: Partial<scheduler.Target> = {}) =>
      fake.clients.scheduler.send(
        new scheduler.CreateScheduleCommand({
          Name: 's',
          ScheduleExpression: 'at(2026-11-21T18:00:00)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: { Arn: 'arn:aws:scheduler:::aws-sdk:ec2:terminateInstances', RoleArn: `arn:aws:iam::${ACCOUNT}:role/sched`, ...target },
          ...overrides,
        }),
      );
    const trust = (service: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
    beforeEach(() => world.roles.set('sched', { path: '/', tags: [], policies: new Map(), attached: [], trust: trust('scheduler.amazonaws.com'), createdAt: world.clock.now() - 60_000 }));

    it('takes a valid one-shot', async () => {
      await schedule();
      expect(world.schedules.has('s')).to.equal(true);
    });

    for (const [what, overrides, target] of [
      ['an at() with a zone', { ScheduleExpression: 'at(2026-11-21T18:00:00Z)' }, {}],
      ['an impossible date', { ScheduleExpression: 'at(2026-13-21T18:00:00)' }, {}],
      ['a target that is no ARN', {}, { Arn: 'ec2:terminateInstances' }],
      ['a role that does not exist', {}, { RoleArn: `arn:aws:iam::${ACCOUNT}:role/nobody` }],
    ] as const) {
      it(`refuses ${what} (ValidationException)`, async () => {
        expect((await rejection(schedule(overrides, target))).name).to.equal('ValidationException');
        expect(world.schedules.size).to.equal(0);
      });
    }

    it('refuses a role that does not trust scheduler.amazonaws.com, and a role IAM made seconds ago', async () => {
      world.roles.get('sched')!.trust = trust('ec2.amazonaws.com');
      expect((await rejection(schedule())).message).to.match(/must allow AWS EventBridge Scheduler to assume the role/);
      world.roles.set('sched', { path: '/', tags: [], policies: new Map(), attached: [], trust: trust('scheduler.amazonaws.com'), createdAt: world.clock.now() });
      expect((await rejection(schedule())).message).to.match(/assume the role/);
      await settle(world, world.timing.roleAssumableMs);
      await schedule();
    });
  });
});
