// Finding an environment's resources again: instances by tags, everything else by its
// deterministic name, so a provision that crashed half-way is still fully visible.
import { paginateDescribeInstances, paginateDescribeSecurityGroups, type EC2Client, type Instance, type SecurityGroup } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, GetRoleCommand, paginateListRolePolicies, type IAMClient } from '@aws-sdk/client-iam';
import { paginateGetParametersByPath, type SSMClient } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../core/aws-clients.js';
import { ignoreGone } from '../core/aws-errors.js';
import { envFilters, envNames, TAG, tagValue } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { findElasticIp, type ElasticIp } from './elastic-ip.js';
import { expiryNames, findExpirySchedules } from './expiry-schedule.js';
import { defaultVpcId } from './security-group.js';

export interface EnvInstance {
  id: string;
  env: string;
  state: string;
  instanceType: string;
  publicIp?: string;
  publicDns?: string;
  launchTime?: Date;
  /** When a stopped instance stopped, read from EC2's StateTransitionReason. */
  stoppedAt?: Date;
  expiresAt?: Date;
  gitSha?: string;
  amiId?: string;
  /** From the StackProfiles tag; undefined on a box launched before provision wrote it (it ran no optional profile). */
  profiles?: string[];
  /** From the Replaces tag: the instance this one was launched by `provision --replace` to replace. */
  replaces?: string;
  /** The EBS volume at the root device, whose size provision compares on a re-provision. */
  rootVolumeId?: string;
}

/** States in which an instance still exists and costs or may cost money. */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** `main (running), feat-a (stopped)`: the environments with a live box, and the state of each. */
export function describeEnvironments(envs: ReadonlyMap<string, EnvInstance[]>): string {
  return [...envs.keys()]
    .sort()
    .map((name) => `${name} (${envs.get(name)?.[0]?.state ?? 'unknown'})`)
    .join(', ');
}

/** How to pick another environment, or that there is none to pick. */
export function otherEnvironmentsHint(env: string, region: string, envs: ReadonlyMap<string, EnvInstance[]>): string {
  const others = new Map([...envs].filter(([name]) => name !== env));
  const first = [...others.keys()].sort()[0];
  if (first === undefined) return `No environment has a box in ${region}: \`npx pillbox provision\` creates one; if yours is elsewhere, pass --region.`;
  return `Here: ${describeEnvironments(others)}. Pick one with --env (--env ${first}); without it the name follows the git branch.`;
}

export class EnvironmentNotFound extends OperatorError {
  /** `envs`: every environment with a live box in the region, so the hint can name them. */
  constructor(env: string, region: string, envs: ReadonlyMap<string, EnvInstance[]> = new Map()) {
    const state = envs.get(env)?.[0]?.state;
    super(
      state ? `Environment "${env}" in ${region} is ${state}, not running.` : `No pillbox environment "${env}" in ${region}.`,
      state ? `\`npx pillbox status --env ${env}\` shows it; this command needs its box running.` : otherEnvironmentsHint(env, region, envs),
    );
    this.name = 'EnvironmentNotFound';
  }
}

const toDate = (value: string | undefined): Date | undefined => {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/**
 * EC2 states when an instance stopped only in StateTransitionReason, e.g. `User initiated
 * (2026-11-21 14:03:11 GMT)`; the prefix varies with the cause, so only the time is matched.
 */
function stoppedAt(reason: string | undefined): Date | undefined {
  const match = /\((\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)/.exec(reason ?? '');
  return match ? toDate(`${match[1]}T${match[2]}Z`) : undefined;
}

export function toEnvInstance(i: Instance): EnvInstance {
  return {
    id: i.InstanceId ?? '',
    env: tagValue(i.Tags, TAG.env) ?? '',
    state: i.State?.Name ?? 'unknown',
    instanceType: i.InstanceType ?? 'unknown',
    publicIp: i.PublicIpAddress,
    publicDns: i.PublicDnsName || undefined,
    launchTime: i.LaunchTime,
    stoppedAt: i.State?.Name === 'stopped' ? stoppedAt(i.StateTransitionReason) : undefined,
    expiresAt: toDate(tagValue(i.Tags, TAG.expiresAt)),
    gitSha: tagValue(i.Tags, TAG.gitSha),
    amiId: tagValue(i.Tags, TAG.amiId),
    profiles: tagValue(i.Tags, TAG.stackProfiles)?.split(',').filter(Boolean),
    replaces: tagValue(i.Tags, TAG.replaces),
    rootVolumeId: i.BlockDeviceMappings?.find((m) => m.DeviceName === i.RootDeviceName)?.Ebs?.VolumeId,
  };
}

/** Live pillbox instances of one environment (or of all, without env), newest first. */
export async function findInstances(ec2: EC2Client, env?: string): Promise<EnvInstance[]> {
  const found: EnvInstance[] = [];
  const filters = [...envFilters(env), { Name: 'instance-state-name', Values: LIVE_STATES }];
  for await (const page of paginateDescribeInstances({ client: ec2 }, { Filters: filters })) {
    for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) found.push(toEnvInstance(i));
  }
  return found.sort((a, b) => (b.launchTime?.getTime() ?? 0) - (a.launchTime?.getTime() ?? 0));
}

/** The environment's running instance, or EnvironmentNotFound naming the environments that do exist. */
export async function requireRunningInstance(ec2: EC2Client, env: string, region: string): Promise<EnvInstance> {
  const running = (await findInstances(ec2, env)).find((i) => i.state === 'running');
  if (!running) throw new EnvironmentNotFound(env, region, await listEnvironments(ec2));
  return running;
}

/** Every environment with a live instance, by name. */
export async function listEnvironments(ec2: EC2Client): Promise<Map<string, EnvInstance[]>> {
  const byEnv = new Map<string, EnvInstance[]>();
  for (const i of await findInstances(ec2)) byEnv.set(i.env, [...(byEnv.get(i.env) ?? []), i]);
  return byEnv;
}

export interface ObservedEnvironment {
  env: string;
  instances: EnvInstance[];
  securityGroup?: { id: string; vpcId?: string; ingress: { port?: number; cidrs: string[] }[] };
  role?: { name: string; arn: string; inlinePolicies: string[] };
  instanceProfile?: { name: string; arn: string; roles: string[] };
  parameters: string[];
  /** The execution role of the expiry schedules, made in provision's IAM phase. */
  schedulerRole?: string;
  /** Names of the environment's expiry schedules, one per instance still guarded. */
  schedules: string[];
  /** Only an environment that was given a domain has one. */
  elasticIp?: ElasticIp;
}

/** The group of that name in the default VPC: names are unique per VPC only, and another VPC's group is not ours. */
export async function findSecurityGroup(ec2: EC2Client, env: string, vpcId: string): Promise<ObservedEnvironment['securityGroup']> {
  const filters = [
    { Name: 'group-name', Values: [envNames(env).securityGroup] },
    { Name: 'vpc-id', Values: [vpcId] },
  ];
  let sg: SecurityGroup | undefined;
  for await (const page of paginateDescribeSecurityGroups({ client: ec2 }, { Filters: filters })) sg ??= page.SecurityGroups?.[0];
  if (!sg?.GroupId) return undefined;
  return {
    id: sg.GroupId,
    vpcId: sg.VpcId,
    ingress: (sg.IpPermissions ?? []).map((p) => ({ port: p.FromPort, cidrs: (p.IpRanges ?? []).map((r) => r.CidrIp ?? '') })),
  };
}

export async function findRole(iam: IAMClient, env: string): Promise<ObservedEnvironment['role']> {
  const name = envNames(env).role;
  const role = await iam.send(new GetRoleCommand({ RoleName: name })).catch(ignoreGone);
  if (!role?.Role) return undefined;
  const inlinePolicies: string[] = [];
  for await (const page of paginateListRolePolicies({ client: iam }, { RoleName: name })) inlinePolicies.push(...(page.PolicyNames ?? []));
  return { name, arn: role.Role.Arn ?? '', inlinePolicies };
}

export async function findInstanceProfile(iam: IAMClient, env: string): Promise<ObservedEnvironment['instanceProfile']> {
  const name = envNames(env).instanceProfile;
  const out = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })).catch(ignoreGone);
  if (!out?.InstanceProfile) return undefined;
  return { name, arn: out.InstanceProfile.Arn ?? '', roles: (out.InstanceProfile.Roles ?? []).map((r) => r.RoleName ?? '') };
}

export async function findSchedulerRole(iam: IAMClient, env: string): Promise<string | undefined> {
  const name = expiryNames(env).role;
  const role = await iam.send(new GetRoleCommand({ RoleName: name })).catch(ignoreGone);
  return role?.Role ? name : undefined;
}

/** Names of every parameter under the environment's path (values are not read). */
export async function findParameters(ssm: SSMClient, env: string): Promise<string[]> {
  const names: string[] = [];
  const input = { Path: envNames(env).parameterTree, Recursive: true, WithDecryption: false };
  for await (const page of paginateGetParametersByPath({ client: ssm }, input)) {
    for (const p of page.Parameters ?? []) if (p.Name) names.push(p.Name);
  }
  return names;
}

/** Everything that exists for an environment, found the way teardown needs it. */
export async function observeEnvironment(clients: AwsClients, env: string): Promise<ObservedEnvironment> {
  const [instances, securityGroup, role, instanceProfile, parameters, elasticIp, schedulerRole, schedules] = await Promise.all([
    findInstances(clients.ec2, env),
    defaultVpcId(clients.ec2).then((vpcId) => (vpcId ? findSecurityGroup(clients.ec2, env, vpcId) : undefined)),
    findRole(clients.iam, env),
    findInstanceProfile(clients.iam, env),
    findParameters(clients.ssm, env),
    findElasticIp(clients.ec2, env),
    findSchedulerRole(clients.iam, env),
    findExpirySchedules(clients.scheduler, env),
  ]);
  return { env, instances, securityGroup, role, instanceProfile, parameters, schedules, ...(schedulerRole ? { schedulerRole } : {}), ...(elasticIp ? { elasticIp } : {}) };
}
