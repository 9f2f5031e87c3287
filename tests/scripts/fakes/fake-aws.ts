// An in-memory AWS account behind aws-sdk-client-mock: every command the CLI sends is
// answered from (and changes) one world, so flows such as "provision crashes half-way,
// then teardown" run end to end. Faults are queued per command name.
import { EC2Client } from '@aws-sdk/client-ec2';
import * as ec2 from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import * as iam from '@aws-sdk/client-iam';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as ssm from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { BACKUP_BIN } from '../../../scripts/lib/box/layout.js';
import type { AwsClients } from '../../../scripts/lib/core/aws-clients.js';
import type { Clock } from '../../../scripts/lib/core/clock.js';

type Tags = { Key?: string; Value?: string }[];

export interface FakeInstance {
  id: string;
  state: string;
  type: string;
  tags: Tags;
  groupIds: string[];
  launchTime: Date;
  publicIp: string;
  clientToken?: string;
}

export interface World {
  region: string;
  accountId: string;
  vpcId: string;
  amiId: string;
  instances: FakeInstance[];
  groups: { id: string; name: string; vpcId: string; tags: Tags }[];
  rules: { id: string; groupId: string; port: number; cidr: string }[];
  roles: Map<string, { tags: Tags; policies: Map<string, string>; attached: string[] }>;
  profiles: Map<string, { tags: Tags; roles: string[] }>;
  params: Map<string, { value: string; type: string; tags: Tags }>;
  unofferedTypes: string[];
  /** DeleteSecurityGroup answers DependencyViolation this many more times (ENI detaching). */
  eniDetachingFor: number;
  /** Output of the box, by what the command runs; `run` answers any script first when it knows it. */
  box: { cloudInitExit: number; unitState: string; services: object[]; readyz: string; run?: (script: string) => BoxReply | undefined };
  sentScripts: string[][];
  faults: Map<string, Error[]>;
}

export interface BoxReply {
  exitCode: number;
  stdout: string;
  stderr?: string;
}

export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { attempts: 1 } });
}

export function aWorld(overrides: Partial<World> = {}): World {
  return {
    region: 'eu-west-1',
    accountId: '123456789012',
    vpcId: 'vpc-default1',
    amiId: 'ami-0al2023',
    instances: [],
    groups: [],
    rules: [],
    roles: new Map(),
    profiles: new Map(),
    params: new Map(),
    unofferedTypes: [],
    eniDetachingFor: 0,
    box: {
      cloudInitExit: 0,
      unitState: 'active',
      services: [
        { Service: 'app', State: 'running', Health: 'healthy', ExitCode: 0 },
        { Service: 'elasticsearch', State: 'running', Health: 'healthy', ExitCode: 0 },
        { Service: 'setup', State: 'exited', Health: '', ExitCode: 0 },
      ],
      readyz: '200',
      // The backup script succeeds and prints its manifest; fake-data-box.ts has one that stores the backup too.
      run: (script) => (script.includes(BACKUP_BIN) ? { exitCode: 0, stdout: `${JSON.stringify({ key: 'envs/dev/backups/20261121T100000Z.dump', sha256: '0'.repeat(64), bytes: 1, reason: 'manual', commit: 'c' })}\n` } : undefined),
    },
    sentScripts: [],
    faults: new Map(),
    ...overrides,
  };
}

/** Wraps a command's handler with that command's queue of faults. */
export const withFaults =
  (faults: Map<string, Error[]>) =>
  <I, O>(name: string, fn: (input: I) => O) =>
  async (input: I): Promise<O> => {
    const fault = faults.get(name)?.shift();
    if (fault) throw fault;
    return fn(input);
  };

/** The next `times` calls of `command` (e.g. 'RunInstances') fail with `error`. */
export function failNext(world: World, command: string, error: Error, times = 1): void {
  world.faults.set(command, [...(world.faults.get(command) ?? []), ...Array.from({ length: times }, () => error)]);
}

const tagOf = (tags: Tags, key: string) => tags.find((t) => t.Key === key)?.Value;
const tagsFor = (specs: { ResourceType?: string; Tags?: Tags }[] | undefined, type: string): Tags => specs?.find((s) => s.ResourceType === type)?.Tags ?? [];
let counter = 0;
const nextId = (prefix: string) => `${prefix}-${(++counter).toString(16).padStart(8, '0')}`;

function matchesFilters(tags: Tags, filters: { Name?: string; Values?: string[] }[] | undefined, fields: Record<string, string>): boolean {
  return (filters ?? []).every((f) => {
    const name = f.Name ?? '';
    const value = name.startsWith('tag:') ? tagOf(tags, name.slice(4)) : fields[name];
    return value !== undefined && (f.Values ?? []).includes(value);
  });
}

export function fakeAws(world: World) {
  const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
  const clients: AwsClients = {
    ec2: new EC2Client({ region: world.region, credentials }),
    ssm: new SSMClient({ region: world.region, credentials }),
    iam: new IAMClient({ region: world.region, credentials }),
    sts: new STSClient({ region: world.region, credentials }),
  };
  const mocks = { ec2: mockClient(clients.ec2), ssm: mockClient(clients.ssm), iam: mockClient(clients.iam), sts: mockClient(clients.sts) };
  const unexpected = new Error('unexpected command in fake AWS');
  mocks.ec2.onAnyCommand().rejects(unexpected);
  mocks.ssm.onAnyCommand().rejects(unexpected);
  mocks.iam.onAnyCommand().rejects(unexpected);
  mocks.sts.onAnyCommand().rejects(unexpected);

  const h = withFaults(world.faults);

  // STS
  mocks.sts.on(GetCallerIdentityCommand).callsFake(h('GetCallerIdentity', () => ({ Account: world.accountId, Arn: `arn:aws:iam::${world.accountId}:user/alice` })));

  // EC2
  const describe = (i: FakeInstance): ec2.Instance => ({
    InstanceId: i.id,
    State: { Name: i.state as ec2.InstanceStateName },
    InstanceType: i.type as ec2._InstanceType,
    Tags: i.tags,
    LaunchTime: i.launchTime,
    PublicIpAddress: i.state === 'running' ? i.publicIp : undefined,
    SecurityGroups: i.groupIds.map((GroupId) => ({ GroupId })),
  });
  mocks.ec2.on(ec2.DescribeInstancesCommand).callsFake(
    h('DescribeInstances', (input: ec2.DescribeInstancesCommandInput) => {
      const found = world.instances.filter((i) =>
        input.InstanceIds ? input.InstanceIds.includes(i.id) : matchesFilters(i.tags, input.Filters, { 'instance-state-name': i.state }),
      );
      return { Reservations: found.map((i) => ({ Instances: [describe(i)] })) };
    }),
  );
  mocks.ec2.on(ec2.DescribeVpcsCommand).callsFake(h('DescribeVpcs', () => ({ Vpcs: world.vpcId ? [{ VpcId: world.vpcId, IsDefault: true }] : [] })));
  mocks.ec2.on(ec2.DescribeImagesCommand).callsFake(h('DescribeImages', () => ({ Images: [{ ImageId: world.amiId, RootDeviceName: '/dev/xvda' }] })));
  mocks.ec2.on(ec2.DescribeInstanceTypeOfferingsCommand).callsFake(
    h('DescribeInstanceTypeOfferings', (input: ec2.DescribeInstanceTypeOfferingsCommandInput) => {
      const type = input.Filters?.[0]?.Values?.[0] ?? '';
      return { InstanceTypeOfferings: world.unofferedTypes.includes(type) ? [] : [{ InstanceType: type as ec2._InstanceType, LocationType: 'region', Location: world.region }] };
    }),
  );
  mocks.ec2.on(ec2.DescribeSecurityGroupsCommand).callsFake(
    h('DescribeSecurityGroups', (input: ec2.DescribeSecurityGroupsCommandInput) => ({
      SecurityGroups: world.groups
        .filter((g) => matchesFilters(g.tags, input.Filters, { 'group-name': g.name }))
        .map((g) => ({
          GroupId: g.id,
          GroupName: g.name,
          VpcId: g.vpcId,
          Tags: g.tags,
          IpPermissions: world.rules.filter((r) => r.groupId === g.id).map((r) => ({ IpProtocol: 'tcp', FromPort: r.port, ToPort: r.port, IpRanges: [{ CidrIp: r.cidr }] })),
        })),
    })),
  );
  mocks.ec2.on(ec2.DescribeSecurityGroupRulesCommand).callsFake(
    h('DescribeSecurityGroupRules', (input: ec2.DescribeSecurityGroupRulesCommandInput) => {
      const groupId = input.Filters?.[0]?.Values?.[0];
      return {
        SecurityGroupRules: world.rules
          .filter((r) => r.groupId === groupId)
          .map((r) => ({ SecurityGroupRuleId: r.id, GroupId: r.groupId, IsEgress: false, IpProtocol: 'tcp', FromPort: r.port, ToPort: r.port, CidrIpv4: r.cidr })),
      };
    }),
  );
  mocks.ec2.on(ec2.CreateSecurityGroupCommand).callsFake(
    h('CreateSecurityGroup', (input: ec2.CreateSecurityGroupCommandInput) => {
      if (world.groups.some((g) => g.name === input.GroupName)) throw awsError('InvalidGroup.Duplicate');
      const id = nextId('sg');
      world.groups.push({ id, name: input.GroupName ?? '', vpcId: input.VpcId ?? '', tags: tagsFor(input.TagSpecifications, 'security-group') });
      return { GroupId: id };
    }),
  );
  mocks.ec2.on(ec2.AuthorizeSecurityGroupIngressCommand).callsFake(
    h('AuthorizeSecurityGroupIngress', (input: ec2.AuthorizeSecurityGroupIngressCommandInput) => {
      for (const p of input.IpPermissions ?? []) for (const r of p.IpRanges ?? []) world.rules.push({ id: nextId('sgr'), groupId: input.GroupId ?? '', port: p.FromPort ?? 0, cidr: r.CidrIp ?? '' });
      return { Return: true };
    }),
  );
  mocks.ec2.on(ec2.RevokeSecurityGroupIngressCommand).callsFake(
    h('RevokeSecurityGroupIngress', (input: ec2.RevokeSecurityGroupIngressCommandInput) => {
      world.rules = world.rules.filter((r) => !input.SecurityGroupRuleIds?.includes(r.id));
      return { Return: true };
    }),
  );
  mocks.ec2.on(ec2.DeleteSecurityGroupCommand).callsFake(
    h('DeleteSecurityGroup', (input: ec2.DeleteSecurityGroupCommandInput) => {
      if (!world.groups.some((g) => g.id === input.GroupId)) throw awsError('InvalidGroup.NotFound');
      const inUse = world.instances.some((i) => i.state !== 'terminated' && i.groupIds.includes(input.GroupId ?? ''));
      if (inUse || world.eniDetachingFor > 0) {
        world.eniDetachingFor = Math.max(0, world.eniDetachingFor - 1);
        throw awsError('DependencyViolation', `resource ${input.GroupId} has a dependent object`);
      }
      world.groups = world.groups.filter((g) => g.id !== input.GroupId);
      world.rules = world.rules.filter((r) => r.groupId !== input.GroupId);
      return {};
    }),
  );
  mocks.ec2.on(ec2.RunInstancesCommand).callsFake(
    h('RunInstances', (input: ec2.RunInstancesCommandInput) => {
      const profile = input.IamInstanceProfile?.Name ?? '';
      if (!world.profiles.has(profile)) throw awsError('InvalidParameterValue', `Value (${profile}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`);
      const again = world.instances.find((i) => input.ClientToken && i.clientToken === input.ClientToken);
      const instance = again ?? {
        id: nextId('i'),
        state: 'running',
        type: input.InstanceType ?? '',
        tags: tagsFor(input.TagSpecifications, 'instance'),
        groupIds: input.SecurityGroupIds ?? [],
        launchTime: new Date('2026-11-21T10:00:00Z'),
        publicIp: '203.0.113.10',
        clientToken: input.ClientToken,
      };
      if (!again) world.instances.push(instance);
      return { Instances: [describe(instance)] };
    }),
  );
  mocks.ec2.on(ec2.TerminateInstancesCommand).callsFake(
    h('TerminateInstances', (input: ec2.TerminateInstancesCommandInput) => {
      for (const i of world.instances) if (input.InstanceIds?.includes(i.id)) i.state = 'terminated';
      return { TerminatingInstances: (input.InstanceIds ?? []).map((InstanceId) => ({ InstanceId })) };
    }),
  );

  // SSM
  const param = (name: string) => {
    const p = world.params.get(name);
    if (!p) throw awsError('ParameterNotFound');
    return p;
  };
  mocks.ssm.on(ssm.GetParameterCommand).callsFake(
    h('GetParameter', (input: ssm.GetParameterCommandInput) =>
      input.Name === '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64'
        ? { Parameter: { Name: input.Name, Value: world.amiId } }
        : { Parameter: { Name: input.Name, Value: param(input.Name ?? '').value } },
    ),
  );
  mocks.ssm.on(ssm.GetParametersByPathCommand).callsFake(
    h('GetParametersByPath', (input: ssm.GetParametersByPathCommandInput) => ({
      // A path is a hierarchy node: /pillbox/dev holds /pillbox/dev/x, never /pillbox/dev-2/x.
      Parameters: [...world.params.keys()].filter((n) => n.startsWith(`${(input.Path ?? '').replace(/\/$/, '')}/`)).map((Name) => ({ Name, Type: world.params.get(Name)?.type as ssm.ParameterType })),
    })),
  );
  mocks.ssm.on(ssm.PutParameterCommand).callsFake(
    h('PutParameter', (input: ssm.PutParameterCommandInput) => {
      if (input.Tags && input.Overwrite) throw awsError('ValidationException', 'Invalid request: tags and overwrite can\'t be used together.');
      if (world.params.has(input.Name ?? '') && !input.Overwrite) throw awsError('ParameterAlreadyExists');
      world.params.set(input.Name ?? '', { value: input.Value ?? '', type: input.Type ?? 'String', tags: input.Tags ?? [] });
      return { Version: 1 };
    }),
  );
  mocks.ssm.on(ssm.DeleteParameterCommand).callsFake(
    h('DeleteParameter', (input: ssm.DeleteParameterCommandInput) => {
      param(input.Name ?? '');
      world.params.delete(input.Name ?? '');
      return {};
    }),
  );
  mocks.ssm.on(ssm.DeleteParametersCommand).callsFake(
    h('DeleteParameters', (input: ssm.DeleteParametersCommandInput) => {
      if ((input.Names ?? []).length > 10) throw awsError('ValidationException', 'at most 10 names');
      const deleted = (input.Names ?? []).filter((n) => world.params.delete(n));
      return { DeletedParameters: deleted };
    }),
  );
  mocks.ssm.on(ssm.DescribeInstanceInformationCommand).callsFake(
    h('DescribeInstanceInformation', (input: ssm.DescribeInstanceInformationCommandInput) => ({
      InstanceInformationList: (input.Filters?.[0]?.Values ?? []).map((InstanceId) => ({ InstanceId, PingStatus: 'Online' })),
    })),
  );
  const commands = new Map<string, string[]>();
  mocks.ssm.on(ssm.SendCommandCommand).callsFake(
    h('SendCommand', (input: ssm.SendCommandCommandInput) => {
      const id = nextId('cmd');
      const lines = input.Parameters?.commands ?? [];
      commands.set(id, lines);
      world.sentScripts.push(lines);
      return { Command: { CommandId: id } };
    }),
  );
  mocks.ssm.on(ssm.GetCommandInvocationCommand).callsFake(
    h('GetCommandInvocation', (input: ssm.GetCommandInvocationCommandInput) => {
      const script = (commands.get(input.CommandId ?? '') ?? []).join('\n');
      const done = (exit: number, stdout: string, stderr = '') => ({ Status: exit === 0 ? 'Success' : 'Failed', ResponseCode: exit, StandardOutputContent: stdout, StandardErrorContent: stderr });
      const custom = world.box.run?.(script);
      if (custom) return done(custom.exitCode, custom.stdout, custom.stderr);
      if (script.includes('cloud-init status')) return done(world.box.cloudInitExit, world.box.cloudInitExit === 0 ? 'status: done' : 'status: error');
      if (script.includes('ActiveState')) return done(0, `${world.box.unitState}\n${world.box.services.map((s) => JSON.stringify(s)).join('\n')}`);
      if (script.includes('/readyz')) return done(0, world.box.readyz);
      return done(0, '');
    }),
  );

  // IAM
  const role = (name: string) => {
    const r = world.roles.get(name);
    if (!r) throw awsError('NoSuchEntity', `The role with name ${name} cannot be found.`);
    return r;
  };
  const profile = (name: string) => {
    const p = world.profiles.get(name);
    if (!p) throw awsError('NoSuchEntity', `Instance Profile ${name} cannot be found.`);
    return p;
  };
  mocks.iam.on(iam.GetRoleCommand).callsFake(h('GetRole', (i: iam.GetRoleCommandInput) => (role(i.RoleName ?? ''), { Role: { RoleName: i.RoleName, Arn: `arn:aws:iam::${world.accountId}:role/${i.RoleName}` } })));
  mocks.iam.on(iam.ListRolePoliciesCommand).callsFake(h('ListRolePolicies', (i: iam.ListRolePoliciesCommandInput) => ({ PolicyNames: [...role(i.RoleName ?? '').policies.keys()] })));
  mocks.iam.on(iam.ListAttachedRolePoliciesCommand).callsFake(
    h('ListAttachedRolePolicies', (i: iam.ListAttachedRolePoliciesCommandInput) => ({ AttachedPolicies: role(i.RoleName ?? '').attached.map((PolicyArn) => ({ PolicyArn })) })),
  );
  mocks.iam.on(iam.CreateRoleCommand).callsFake(
    h('CreateRole', (i: iam.CreateRoleCommandInput) => {
      if (world.roles.has(i.RoleName ?? '')) throw awsError('EntityAlreadyExists');
      world.roles.set(i.RoleName ?? '', { tags: i.Tags ?? [], policies: new Map(), attached: [] });
      return { Role: { RoleName: i.RoleName } };
    }),
  );
  mocks.iam.on(iam.PutRolePolicyCommand).callsFake(h('PutRolePolicy', (i: iam.PutRolePolicyCommandInput) => (role(i.RoleName ?? '').policies.set(i.PolicyName ?? '', i.PolicyDocument ?? ''), {})));
  mocks.iam.on(iam.DeleteRolePolicyCommand).callsFake(h('DeleteRolePolicy', (i: iam.DeleteRolePolicyCommandInput) => (role(i.RoleName ?? '').policies.delete(i.PolicyName ?? ''), {})));
  mocks.iam.on(iam.DeleteRoleCommand).callsFake(
    h('DeleteRole', (i: iam.DeleteRoleCommandInput) => {
      const r = role(i.RoleName ?? '');
      const inProfile = [...world.profiles.values()].some((p) => p.roles.includes(i.RoleName ?? ''));
      if (r.policies.size > 0 || r.attached.length > 0 || inProfile) throw awsError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
      world.roles.delete(i.RoleName ?? '');
      return {};
    }),
  );
  mocks.iam.on(iam.GetInstanceProfileCommand).callsFake(
    h('GetInstanceProfile', (i: iam.GetInstanceProfileCommandInput) => ({
      InstanceProfile: { InstanceProfileName: i.InstanceProfileName, Arn: `arn:aws:iam::${world.accountId}:instance-profile/${i.InstanceProfileName}`, Roles: profile(i.InstanceProfileName ?? '').roles.map((RoleName) => ({ RoleName })) },
    })),
  );
  mocks.iam.on(iam.CreateInstanceProfileCommand).callsFake(
    h('CreateInstanceProfile', (i: iam.CreateInstanceProfileCommandInput) => {
      if (world.profiles.has(i.InstanceProfileName ?? '')) throw awsError('EntityAlreadyExists');
      world.profiles.set(i.InstanceProfileName ?? '', { tags: i.Tags ?? [], roles: [] });
      return {};
    }),
  );
  mocks.iam.on(iam.AddRoleToInstanceProfileCommand).callsFake(
    h('AddRoleToInstanceProfile', (i: iam.AddRoleToInstanceProfileCommandInput) => {
      const p = profile(i.InstanceProfileName ?? '');
      role(i.RoleName ?? '');
      if (p.roles.length > 0) throw awsError('LimitExceeded');
      p.roles.push(i.RoleName ?? '');
      return {};
    }),
  );
  mocks.iam.on(iam.RemoveRoleFromInstanceProfileCommand).callsFake(
    h('RemoveRoleFromInstanceProfile', (i: iam.RemoveRoleFromInstanceProfileCommandInput) => {
      const p = profile(i.InstanceProfileName ?? '');
      p.roles = p.roles.filter((r) => r !== i.RoleName);
      return {};
    }),
  );
  mocks.iam.on(iam.DeleteInstanceProfileCommand).callsFake(
    h('DeleteInstanceProfile', (i: iam.DeleteInstanceProfileCommandInput) => {
      if (profile(i.InstanceProfileName ?? '').roles.length > 0) throw awsError('DeleteConflict');
      world.profiles.delete(i.InstanceProfileName ?? '');
      return {};
    }),
  );

  const restore = () => {
    mocks.ec2.restore();
    mocks.ssm.restore();
    mocks.iam.restore();
    mocks.sts.restore();
  };
  return { clients, mocks, restore };
}

export type FakeAws = ReturnType<typeof fakeAws>;

/** Sleeping advances the clock instantly, so bounded waits run in no time. */
export function fakeClock(start = Date.parse('2026-11-21T10:00:00Z')): Clock & { elapsed: () => number } {
  let t = start;
  return { now: () => t, sleep: async (ms) => void (t += ms), elapsed: () => t - start };
}

/** Names of the commands a mock received, in order (e.g. ['DescribeVpcsCommand', ...]). */
export function commandNames(fake: FakeAws): string[] {
  const calls: { args: unknown[] }[] = [fake.mocks.ec2, fake.mocks.ssm, fake.mocks.iam, fake.mocks.sts].flatMap((m) => m.calls() as { args: unknown[] }[]);
  return calls.map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { hint?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { hint?: string };
  }
  throw new Error('expected the promise to reject');
}
