// Finding an environment's resources again: instances by tags, everything else by its
// deterministic name, so a provision that crashed half-way is still fully visible.
import { DescribeSecurityGroupsCommand, paginateDescribeInstances, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, GetRoleCommand, ListRolePoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import { paginateGetParametersByPath, type SSMClient } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../core/aws-clients.js';
import { findElasticIp, type ElasticIp } from './elastic-ip.js';
import { envFilters, envNames, TAG, tagValue } from '../core/names.js';
import { awsErrorName, OperatorError } from '../core/operator-error.js';

export interface EnvInstance {
  id: string;
  env: string;
  state: string;
  instanceType: string;
  publicIp?: string;
  publicDns?: string;
  launchTime?: Date;
  expiresAt?: Date;
  gitSha?: string;
  amiId?: string;
}

/** States in which an instance still exists and costs or may cost money. */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

export class EnvironmentNotFound extends OperatorError {
  constructor(env: string, region: string) {
    super(`No running pillbox environment "${env}" in ${region}.`, 'Check --env / PILLBOX_ENV and AWS_REGION; `npm run status -- --all` lists the environments, `npm run provision` creates one.');
    this.name = 'EnvironmentNotFound';
  }
}

const toDate = (value: string | undefined): Date | undefined => {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

export function toEnvInstance(i: Instance): EnvInstance {
  return {
    id: i.InstanceId ?? '',
    env: tagValue(i.Tags, TAG.env) ?? '',
    state: i.State?.Name ?? 'unknown',
    instanceType: i.InstanceType ?? 'unknown',
    publicIp: i.PublicIpAddress,
    publicDns: i.PublicDnsName || undefined,
    launchTime: i.LaunchTime,
    expiresAt: toDate(tagValue(i.Tags, TAG.expiresAt)),
    gitSha: tagValue(i.Tags, TAG.gitSha),
    amiId: tagValue(i.Tags, TAG.amiId),
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

/** The environment's running instance, or EnvironmentNotFound naming how to list environments. */
export async function requireRunningInstance(ec2: EC2Client, env: string, region: string): Promise<EnvInstance> {
  const running = (await findInstances(ec2, env)).find((i) => i.state === 'running');
  if (!running) throw new EnvironmentNotFound(env, region);
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
  /** Only an environment that was given a domain has one. */
  elasticIp?: ElasticIp;
}

const missingIs =
  (...names: string[]) =>
  (err: unknown): undefined => {
    if (names.includes(awsErrorName(err))) return undefined;
    throw err;
  };

export async function findSecurityGroup(ec2: EC2Client, env: string): Promise<ObservedEnvironment['securityGroup']> {
  const out = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [envNames(env).securityGroup] }] }));
  const sg = out.SecurityGroups?.[0];
  if (!sg?.GroupId) return undefined;
  return {
    id: sg.GroupId,
    vpcId: sg.VpcId,
    ingress: (sg.IpPermissions ?? []).map((p) => ({ port: p.FromPort, cidrs: (p.IpRanges ?? []).map((r) => r.CidrIp ?? '') })),
  };
}

export async function findRole(iam: IAMClient, env: string): Promise<ObservedEnvironment['role']> {
  const name = envNames(env).role;
  const role = await iam.send(new GetRoleCommand({ RoleName: name })).catch(missingIs('NoSuchEntity', 'NoSuchEntityException'));
  if (!role?.Role) return undefined;
  const policies = await iam.send(new ListRolePoliciesCommand({ RoleName: name }));
  return { name, arn: role.Role.Arn ?? '', inlinePolicies: policies.PolicyNames ?? [] };
}

export async function findInstanceProfile(iam: IAMClient, env: string): Promise<ObservedEnvironment['instanceProfile']> {
  const name = envNames(env).instanceProfile;
  const out = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })).catch(missingIs('NoSuchEntity', 'NoSuchEntityException'));
  if (!out?.InstanceProfile) return undefined;
  return { name, arn: out.InstanceProfile.Arn ?? '', roles: (out.InstanceProfile.Roles ?? []).map((r) => r.RoleName ?? '') };
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
  const [instances, securityGroup, role, instanceProfile, parameters, elasticIp] = await Promise.all([
    findInstances(clients.ec2, env),
    findSecurityGroup(clients.ec2, env),
    findRole(clients.iam, env),
    findInstanceProfile(clients.iam, env),
    findParameters(clients.ssm, env),
    findElasticIp(clients.ec2, env),
  ]);
  return { env, instances, securityGroup, role, instanceProfile, parameters, ...(elasticIp ? { elasticIp } : {}) };
}
