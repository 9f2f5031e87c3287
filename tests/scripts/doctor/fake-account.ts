// An AWS account as the doctor sees it, behind aws-sdk-client-mock. STS names the caller;
// EC2 filters after paging, as EC2 does, so filtered pages come back empty with a NextToken;
// IAM reads roles by exact ARN (path included) and its policy simulator evaluates the role's
// attached policies, permissions boundary and SCPs with @cloud-copilot/iam-simulate, a page
// of results at a time (Marker / IsTruncated).
import {
  DescribeInstanceTypeOfferingsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  GetEbsDefaultKmsKeyIdCommand,
  type Filter,
  type InstanceTypeOffering,
  type Subnet,
} from '@aws-sdk/client-ec2';
import {
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  SimulatePrincipalPolicyCommand,
  type ContextEntry,
  type EvaluationResult,
  type SimulatePrincipalPolicyCommandInput,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, KMSClient, NotFoundException, type KeyManagerType, type KeyState } from '@aws-sdk/client-kms';
import { GetDocumentCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { stringify as stringifyYaml } from 'yaml';

export interface FakeRole {
  path: string;
  policies: object[];
  boundary?: object;
}

export interface Account {
  region: string;
  accountId: string;
  caller: { arn: string; userId: string };
  roles: Record<string, FakeRole>;
  /** Organization SCPs over the account (none: not in an organization). */
  scps: object[];
  defaultVpcId?: string;
  subnets: { id: string; vpcId: string; zone: string; defaultForAz: boolean; publicIp: boolean }[];
  /** Instance types by zone, as DescribeInstanceTypeOfferings lists them (all types, before filtering). */
  offerings: { type: string; zone: string }[];
  /** Items per page for every paged answer. */
  pageSize: number;
  /** The next answers of a command, by command name, thrown instead of answering. */
  faults: Record<string, Error[]>;
  /** pillbox-boundary has not been created (false by default: it exists). */
  noBoundary?: boolean;
  /** What GetEbsDefaultKmsKeyId answers (`alias/aws/ebs` unless the account chose a key). */
  ebsDefaultKey?: string;
  /** KMS keys DescribeKey knows, by the id the default names (an ARN or alias as given; unknown ones are NotFound). */
  kmsKeys?: Record<string, { manager: KeyManagerType; state?: KeyState }>;
  /** The SSM-SessionManagerRunShell document's inputs, when preferences were saved. */
  sessionPreferences?: Record<string, unknown>;
}

export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { attempts: 1 } });
}

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

export function anAccount(overrides: Partial<Account> = {}): Account {
  const zones = ['a', 'b', 'c'].map((z) => `${REGION}${z}`);
  return {
    region: REGION,
    accountId: ACCOUNT,
    caller: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/operator/ana`, userId: 'AROAEXAMPLE:ana' },
    roles: { operator: { path: '/', policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }] } },
    scps: [],
    defaultVpcId: 'vpc-0default',
    subnets: zones.map((zone, i) => ({ id: `subnet-0${i}`, vpcId: 'vpc-0default', zone, defaultForAz: true, publicIp: true })),
    offerings: ['t3.micro', 't3.medium', 'm7i.large'].flatMap((type) => zones.map((zone) => ({ type, zone }))),
    pageSize: 2,
    faults: {},
    ...overrides,
  };
}

/** What a command was sent, copied when sent: the SDK's paginators reuse one input object. */
export type Sent = Record<string, object[]>;

function received(account: Account, sent: Sent, command: string, input: object): void {
  (sent[command] ??= []).push(JSON.parse(JSON.stringify(input)) as object);
  const next = account.faults[command]?.shift();
  if (next) throw next;
}

/** EC2 applies filters to each page after paging, so a filtered page may be empty and still go on. */
function page<T>(items: T[], token: string | undefined, size: number): { items: T[]; next?: string } {
  const start = token ? Number(token) : 0;
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { next: String(end) } : {}) };
}

const filterValues = (filters: Filter[] | undefined, name: string): string[] | undefined => filters?.find((f) => f.Name === name)?.Values;

function describeSubnets(account: Account, filters: Filter[] | undefined): Subnet[] {
  const vpcIds = filterValues(filters, 'vpc-id');
  const defaultForAz = filterValues(filters, 'default-for-az');
  return account.subnets
    .filter((s) => !vpcIds || vpcIds.includes(s.vpcId))
    .filter((s) => !defaultForAz || defaultForAz.includes(String(s.defaultForAz)))
    .map((s) => ({ SubnetId: s.id, VpcId: s.vpcId, AvailabilityZone: s.zone, DefaultForAz: s.defaultForAz, MapPublicIpOnLaunch: s.publicIp }));
}

function offeringsAt(account: Account, locationType: string | undefined): InstanceTypeOffering[] {
  if (locationType === 'availability-zone') return account.offerings.map((o) => ({ InstanceType: o.type as InstanceTypeOffering['InstanceType'], LocationType: 'availability-zone', Location: o.zone }));
  const types = [...new Set(account.offerings.map((o) => o.type))];
  return types.map((type) => ({ InstanceType: type as InstanceTypeOffering['InstanceType'], LocationType: 'region', Location: account.region }));
}

const roleArn = (account: Account, name: string, role: FakeRole) => `arn:aws:iam::${account.accountId}:role${role.path}${name}`;

function contextVariables(entries: ContextEntry[] | undefined): Record<string, string | string[]> {
  const vars: Record<string, string | string[]> = {};
  for (const e of entries ?? []) {
    if (!e.ContextKeyName) continue;
    vars[e.ContextKeyName] = e.ContextKeyType?.endsWith('List') ? (e.ContextKeyValues ?? []) : (e.ContextKeyValues?.[0] ?? '');
  }
  return vars;
}

const DECISION = { Allowed: 'allowed', ExplicitlyDenied: 'explicitDeny', ImplicitlyDenied: 'implicitDeny' } as const;
const RESTRICTIVENESS = ['allowed', 'implicitDeny', 'explicitDeny'];
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

type Decision = keyof typeof DECISION;

async function decide(simulation: Simulation): Promise<Decision> {
  const result = await runSimulation(simulation, {});
  if (result.resultType !== 'error') return result.overallResult;
  const resource = simulation.request.resource.resource;
  // AWS-owned resources (public SSM parameters and documents) have no account in their ARN,
  // which the simulator's resource-type matching does not accept; evaluate those without its checks.
  if (result.errors.message === 'no.resource.types' && resource.split(':')[4] === '') return runUnsafeSimulation(simulation, {});
  throw awsError('InvalidInput', `the fake simulator refused ${simulation.request.action} on ${resource}: ${result.errors.message}`);
}

/**
 * SimulatePrincipalPolicy fetches no resource policy ("The simulation does not automatically retrieve policies for the
 * specified resources", IAM API reference): it answers from the identity policies, as for a KMS key with the default key
 * policy, which lets the account's IAM policies decide (KMS developer guide, key-policy-default.html). The simulator
 * library models KMS's own rule that nothing is allowed without a key policy, so it gets that default one.
 */
const keyPolicy = (account: Account, action: string) =>
  action.startsWith('kms:')
    ? { resourcePolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account.accountId}:root` }, Action: 'kms:*', Resource: '*' }] } }
    : {};

/**
 * One action on every requested resource; IAM reports the most restrictive decision at the
 * top. Whether the boundary or the SCPs allow it is each of them asked alone, as IAM's
 * decision details describe them.
 */
async function evaluate(account: Account, principal: string, role: FakeRole, action: string, resources: string[], context: Record<string, string | string[]>): Promise<EvaluationResult> {
  let decision: EvaluationResult['EvalDecision'] = 'allowed';
  let byOrganizations = true;
  let byBoundary = true;
  const scps = account.scps.length > 0 ? [{ orgIdentifier: 'r-root', policies: account.scps.map((policy, i) => ({ name: `scp-${i}`, policy })) }] : [];
  for (const resource of resources) {
    const request = { principal, action, resource: { resource, accountId: account.accountId }, contextVariables: context };
    const identityPolicies = role.policies.map((policy, i) => ({ name: `policy-${i}`, policy }));
    const boundary = role.boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: role.boundary }] } : {};
    const mine = DECISION[await decide({ request, identityPolicies, serviceControlPolicies: scps, resourceControlPolicies: [], ...boundary, ...keyPolicy(account, action) })];
    if (RESTRICTIVENESS.indexOf(mine) > RESTRICTIVENESS.indexOf(decision ?? 'allowed')) decision = mine;
    if (scps.length > 0 && (await decide({ request, identityPolicies: [{ name: 'all', policy: ALLOW_ALL }], serviceControlPolicies: scps, resourceControlPolicies: [] })) !== 'Allowed') byOrganizations = false;
    if (role.boundary && (await decide({ request, identityPolicies: [{ name: 'boundary', policy: role.boundary }], serviceControlPolicies: [], resourceControlPolicies: [] })) !== 'Allowed') byBoundary = false;
  }
  return {
    EvalActionName: action,
    EvalResourceName: resources.length === 1 ? resources[0] : '*',
    EvalDecision: decision,
    ...(scps.length > 0 ? { OrganizationsDecisionDetail: { AllowedByOrganizations: byOrganizations } } : {}),
    ...(role.boundary ? { PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: byBoundary } } : {}),
  };
}

async function simulatePrincipalPolicy(account: Account, input: SimulatePrincipalPolicyCommandInput) {
  const found = Object.entries(account.roles).find(([name, role]) => roleArn(account, name, role) === input.PolicySourceArn);
  if (!found) throw new NoSuchEntityException({ message: `The role with ARN ${input.PolicySourceArn} cannot be found.`, $metadata: {} });
  const [, role] = found;
  const context = contextVariables(input.ContextEntries);
  const results: EvaluationResult[] = [];
  for (const action of input.ActionNames ?? []) results.push(await evaluate(account, input.PolicySourceArn ?? '', role, action, input.ResourceArns ?? ['*'], context));
  const { items, next } = page(results, input.Marker, Math.min(input.MaxItems ?? 100, account.pageSize));
  return { EvaluationResults: items, IsTruncated: next !== undefined, ...(next ? { Marker: next } : {}) };
}

/** The doctor's clients over one account. */
/** The boundary policy, the default EBS key and the Session Manager preferences document, as the account has them. */
function answerGuardrails(account: Account, sent: Sent, mocks: { ec2: AwsClientStub<EC2Client>; iam: AwsClientStub<IAMClient>; ssm: AwsClientStub<SSMClient>; kms: AwsClientStub<KMSClient> }): void {
  mocks.iam.on(GetPolicyCommand).callsFake(async (input: { PolicyArn?: string }) => {
    received(account, sent, 'GetPolicy', input);
    if (account.noBoundary || input.PolicyArn !== `arn:aws:iam::${account.accountId}:policy/pillbox-boundary`) {
      throw new NoSuchEntityException({ message: `Policy ${input.PolicyArn} was not found.`, $metadata: {} });
    }
    return { Policy: { PolicyName: 'pillbox-boundary', Arn: input.PolicyArn } };
  });
  mocks.ec2.on(GetEbsDefaultKmsKeyIdCommand).callsFake(async (input: object) => {
    received(account, sent, 'GetEbsDefaultKmsKeyId', input);
    return { KmsKeyId: account.ebsDefaultKey ?? 'alias/aws/ebs' };
  });
  mocks.kms.on(DescribeKeyCommand).callsFake(async (input: { KeyId?: string }) => {
    received(account, sent, 'DescribeKey', input);
    const key = account.kmsKeys?.[input.KeyId ?? ''];
    if (!key) throw new NotFoundException({ message: `Key '${input.KeyId}' does not exist`, $metadata: {} });
    const id = (input.KeyId ?? '').split('/').at(-1);
    return { KeyMetadata: { KeyId: id, Arn: `arn:aws:kms:${account.region}:${account.accountId}:key/${id}`, KeyManager: key.manager, KeyState: key.state ?? 'Enabled', Enabled: (key.state ?? 'Enabled') === 'Enabled' } };
  });
  // The preferences document as an account may hold it, in YAML: SSM answers in the document's
  // own format unless DocumentFormat asks for another (GetDocument).
  mocks.ssm.on(GetDocumentCommand).callsFake(async (input: { Name?: string; DocumentFormat?: string }) => {
    received(account, sent, 'GetDocument', input);
    if (!account.sessionPreferences) throw awsError('InvalidDocument', `Document with name ${input.Name} does not exist.`);
    const doc = { schemaVersion: '1.0', sessionType: 'Standard_Stream', inputs: account.sessionPreferences };
    const format = input.DocumentFormat ?? 'YAML';
    return { Name: input.Name, DocumentType: 'Session', DocumentFormat: format, Content: format === 'JSON' ? JSON.stringify(doc) : stringifyYaml(doc) };
  });
}

export function fakeClients(account: Account) {
  const sts = mockClient(STSClient);
  const ec2 = mockClient(EC2Client);
  const iam = mockClient(IAMClient);
  const ssm = mockClient(SSMClient);
  const kms = mockClient(KMSClient);
  const sent: Sent = {};
  answerGuardrails(account, sent, { ec2, iam, ssm, kms });

  sts.on(GetCallerIdentityCommand).callsFake(async (input) => {
    received(account, sent, 'GetCallerIdentity', input);
    return { Account: account.accountId, Arn: account.caller.arn, UserId: account.caller.userId };
  });
  ec2.on(DescribeVpcsCommand).callsFake(async (input) => {
    received(account, sent, 'DescribeVpcs', input);
    const wantsDefault = filterValues(input.Filters, 'is-default')?.includes('true');
    return { Vpcs: account.defaultVpcId && wantsDefault ? [{ VpcId: account.defaultVpcId, IsDefault: true }] : [] };
  });
  ec2.on(DescribeSubnetsCommand).callsFake(async (input) => {
    received(account, sent, 'DescribeSubnets', input);
    const { items, next } = page(account.subnets, input.NextToken, account.pageSize);
    const kept = describeSubnets({ ...account, subnets: items }, input.Filters);
    return { Subnets: kept, ...(next ? { NextToken: next } : {}) };
  });
  ec2.on(DescribeInstanceTypeOfferingsCommand).callsFake(async (input) => {
    received(account, sent, 'DescribeInstanceTypeOfferings', input);
    const { items, next } = page(offeringsAt(account, input.LocationType), input.NextToken, account.pageSize);
    const types = filterValues(input.Filters, 'instance-type');
    return { InstanceTypeOfferings: items.filter((o) => !types || types.includes(o.InstanceType ?? '')), ...(next ? { NextToken: next } : {}) };
  });
  iam.on(GetRoleCommand).callsFake(async (input) => {
    received(account, sent, 'GetRole', input);
    const role = account.roles[input.RoleName ?? ''];
    if (!role) throw new NoSuchEntityException({ message: `The role with name ${input.RoleName} cannot be found.`, $metadata: {} });
    return { Role: { RoleName: input.RoleName, Path: role.path, Arn: roleArn(account, input.RoleName ?? '', role), RoleId: 'AROAEXAMPLE', CreateDate: new Date(0) } };
  });
  iam.on(SimulatePrincipalPolicyCommand).callsFake(async (input) => {
    received(account, sent, 'SimulatePrincipalPolicy', input);
    return simulatePrincipalPolicy(account, input);
  });

  return {
    clients: { sts: new STSClient({ region: account.region }), ec2: new EC2Client({ region: account.region }), iam: new IAMClient({ region: account.region }), ssm: new SSMClient({ region: account.region }), kms: new KMSClient({ region: account.region }) },
    mocks: { sts, ec2, iam, ssm, kms },
    /** Inputs by command name (`DescribeSubnets`), in the order sent, undefined members left out. */
    sent,
    restore: () => [sts, ec2, iam, ssm, kms].forEach((m) => m.restore()),
  };
}
