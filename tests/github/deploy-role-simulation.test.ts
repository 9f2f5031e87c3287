// The CLI's policies proven by evaluation: every request the CLI makes, recorded from real runs
// of provision (with a domain, so its Elastic IP), a --replace (backup and restore), status, a
// deploy's tag, extend and a teardown that deletes the backups against the in-memory AWS with its
// project bucket (plus the sessions it opens and the runbook's commands), is translated into what
// IAM authorizes and evaluated with an IAM policy simulator: for a feature environment the CI
// role is allowed all of it (but the bucket settings, which it keeps), and for the same requests
// aimed at main, staging or a laptop's environment it is denied every one that names the
// environment, while the operator's policy allows them. Then the ways a branch could try to
// reach past its environments, or turn the role into account admin, are evaluated: each is denied.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isWildcardOnlyAction } from '@cloud-copilot/iam-simulate';
import { expect } from 'chai';
import { bucketName } from '../../scripts/lib/aws/bucket-keys.js';
import { BUCKET_SETTING_ACTIONS, withAccountValues } from '../../scripts/lib/aws/cli-policy.js';
import { findInstances } from '../../scripts/lib/aws/environment.js';
import { findLeftovers } from '../../scripts/lib/aws/leftovers.js';
import { schedulerRoleArn } from '../../scripts/lib/aws/expiry-schedule.js';
import { tagDeployedCommit } from '../../scripts/lib/aws/instance.js';
import { portForwardArgs, shellSessionArgs } from '../../scripts/lib/box/session-manager.js';
import { ssmRunner } from '../../scripts/lib/box/ssm-output.js';
import { checkSessionPreferences } from '../../scripts/lib/doctor/account-guardrails.js';
import { extendEnvironment } from '../../scripts/lib/extend/run.js';
import { provision } from '../../scripts/lib/provision/run.js';
import { collectStatus } from '../../scripts/lib/status/report.js';
import { teardownEnvironment } from '../../scripts/lib/teardown/run.js';
import { aWorld, fakeAws } from '../scripts/fakes/fake-aws.js';
import { aConfig, depsFor } from '../scripts/provision/fixtures.js';
import { teardownDeps } from '../scripts/teardown/fixtures.js';
import { cliActionUses, policyActions, requiredActions, sdkWaiterResolver } from './aws-sdk-actions.js';
import { iamRequests, pillboxTags, requestTags, resourceTags, sessionRequests, type Account, type IamRequest, type SentCall } from './iam-requests.js';
import { ACCOUNT, DEPLOY_USER_ID, evaluate, REGION, type Verdict } from './iam-simulator.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The fake account's default VPC, filled in as the setup guide does. */
const VPC_ID = 'vpc-default1';
/** The project bucket of the fake account, filled in as the setup guide does. */
const BUCKET = bucketName(ACCOUNT, REGION);
const readPolicy = (file: string) => withAccountValues(JSON.parse(readFileSync(`${root}${file}`, 'utf8')) as { Statement: { Effect: string; Action?: string | string[] }[] }, { vpcId: VPC_ID, bucket: BUCKET });
const ciPolicy = readPolicy('docs/deploy-role-policy.json');
const operatorPolicy = readPolicy('docs/operator-policy.json');
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/pillbox-boundary`;
/** The feature environment a push to feat/login gets. */
const ENV = 'feat-login';
/** Environments only people manage: the default branch's, a staging one, a laptop's (named after its git branch). */
const OTHER_ENVS = ['main', 'staging', 'alice-laptop'];
const accountFor = (env: string): Account => ({ accountId: ACCOUNT, region: REGION, resourceTags: pillboxTags(env), boundaryArn: BOUNDARY, vpcId: VPC_ID });

/** Every call the CLI's flows send, in order, as the mocks recorded them. */
async function recordedCalls(env: string): Promise<SentCall[]> {
  const world = aWorld({ region: REGION, accountId: ACCOUNT });
  const fake = fakeAws(world);
  try {
    // With a domain: an Elastic IP is allocated (tagged on creation) and attached.
    await provision(aConfig({ env, domain: 'app.example.com' }), depsFor(fake));
    // A re-provision that replaces the box and narrows the range: the schedule is updated, the old rules
    // revoked, and the address moved to the new box.
    await provision(aConfig({ env, replace: true, allowedCidr: '198.51.100.0/24' }), depsFor(fake, { runId: 'run00002' }));
    const [box] = await findInstances(fake.clients.ec2, env);
    const clock = world.clock;
    const run = ssmRunner(fake.clients.ssm, box!.id, { clock });
    await collectStatus({ ec2: fake.clients.ec2, ssm: fake.clients.ssm, scheduler: fake.clients.scheduler, now: () => new Date(clock.now()), newId: () => 'a1b2c3d4', clock }, env);
    // What a deploy does in AWS besides SendCommand: record the commit the box now serves.
    await tagDeployedCommit(fake.clients.ec2, box!.id, 'b'.repeat(40));
    await extendEnvironment({ ec2: fake.clients.ec2, scheduler: fake.clients.scheduler, schedulerRoleArn: schedulerRoleArn({ env, accountId: world.accountId }), run, now: () => new Date(clock.now()), clock }, box!, 2, 72);
    // The doctor reads the Session Manager preferences (the fake account has none to answer with).
    await checkSessionPreferences(fake.clients.ssm).catch(() => undefined);
    // The sweep's search for leftovers by tag and name, while the environment's roles, profile and secrets exist.
    await findLeftovers(fake.clients, REGION);
    // Someone attached a managed policy to the role by hand; teardown detaches it.
    world.roles.get(`pillbox-${env}-instance`)?.attached.push('arn:aws:iam::aws:policy/ReadOnlyAccess');
    // A final backup, then the source archives and, as the owner asked, the backups go.
    await teardownEnvironment(env, teardownDeps(fake), { finalBackup: true, deleteBackups: true });
    const sent = Object.values(fake.mocks).flatMap((mock) =>
      mock.calls().map((c) => {
        const command = c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
        return { command: command.constructor.name, input: command.input };
      }),
    );
    // The doctor describes a default EBS key the account chose (tests/scripts/doctor/run.test.ts drives it).
    return [...sent, { command: 'DescribeKeyCommand', input: { KeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` } }];
  } finally {
    fake.restore();
  }
}

/** The runbook's commands, with the same credentials. */
const runbookRequests = (env: string, instanceId: string): IamRequest[] => [
  { action: 'ec2:GetConsoleOutput', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`, context: resourceTags(pillboxTags(env)), via: 'aws ec2 get-console-output' },
  { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/pillbox/${env}/secrets/ELASTIC_PASSWORD`, context: {}, via: 'aws ssm get-parameter' },
  { action: 'ssm:DeleteParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/pillbox/${env}/lock`, context: {}, via: 'aws ssm delete-parameter' },
];

/** Every request the CLI and the runbook make for one environment. */
function requestsFor(env: string, calls: SentCall[]): IamRequest[] {
  const account = accountFor(env);
  const session = { instanceId: 'i-0abc', region: REGION };
  return [
    ...calls.flatMap((call) => iamRequests(call, account)),
    ...sessionRequests(shellSessionArgs(session), account, DEPLOY_USER_ID),
    ...sessionRequests(portForwardArgs(session, 5601, 5601), account, DEPLOY_USER_ID),
    ...runbookRequests(env, 'i-0abc'),
  ];
}

/** The same calls aimed at another environment: every name, key and tag value that says ENV says `to`. */
const aimedAt = (calls: SentCall[], to: string): SentCall[] => JSON.parse(JSON.stringify(calls).replaceAll(ENV, to)) as SentCall[];
const namesEnv = (r: IamRequest, env: string) => r.resource.includes(env) || JSON.stringify(r.context).includes(env);

const describeRequest = (r: IamRequest) => `${r.action} on ${r.resource} ${JSON.stringify(r.context)} (from ${r.via})`;
/**
 * KMS allows nothing its key policy does not: a key made with the default key policy (KMS Developer Guide,
 * key-policy-default.html, "Allows access to the AWS account and enables IAM policies") lets IAM policies grant it.
 */
const DEFAULT_KEY_POLICY = { Version: '2012-10-17', Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] };
const keyPolicyOf = (r: IamRequest) => (r.action.startsWith('kms:') ? { resource: DEFAULT_KEY_POLICY } : {});
const asCi = (r: IamRequest): Promise<Verdict> => evaluate(r, { identity: [ciPolicy], ...keyPolicyOf(r) });
const asOperator = (r: IamRequest): Promise<Verdict> => evaluate(r, { identity: [operatorPolicy], ...keyPolicyOf(r) });
const isBucketSetting = (r: IamRequest) => BUCKET_SETTING_ACTIONS.includes(r.action);
/**
 * Actions that touch no environment's resource: describing, the public AMI, the documents, one's own sessions, the
 * account's guardrails (its default EBS key, the boundary, the Session Manager preferences), and CancelCommand, which
 * IAM scopes to no resource type at all (a command id; the service reference lists none).
 */
const ENV_FREE = [
  'ec2:GetEbsDefaultKmsKeyId',
  'kms:DescribeKey',
  'iam:GetPolicy',
  'ssm:CancelCommand',
  'ssm:GetDocument',
  'ec2:DescribeAddresses',
  'ec2:DescribeImages',
  'ec2:DescribeInstanceTypeOfferings',
  'ec2:DescribeInstances',
  'ec2:DescribeSecurityGroupRules',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVolumes',
  'ec2:DescribeVpcs',
  'scheduler:ListSchedules',
  'iam:ListInstanceProfiles',
  'iam:ListRoles',
  'tag:GetResources',
  'ssm:DescribeInstanceInformation',
  'ssm:GetCommandInvocation',
  'ssm:TerminateSession',
];

describe('the CLI policies, evaluated', function () {
  this.timeout(120_000);
  let calls: SentCall[];
  let requests: IamRequest[];
  let used: Set<string>;

  before(async () => {
    used = requiredActions(cliActionUses(root, sdkWaiterResolver(`${root}node_modules`)).map((u) => u.action));
    calls = await recordedCalls(ENV);
    requests = requestsFor(ENV, calls);
    // Calls of commands not recorded above (the doctor's) that take no resource are asked on "*".
    const recorded = new Set(requests.map((r) => r.action));
    for (const action of [...used].filter((a) => !recorded.has(a))) {
      const [service = '', name = ''] = action.split(':');
      if (await isWildcardOnlyAction(service, name)) requests.push({ action, resource: '*', context: {}, via: 'a call without resource-level permissions' });
    }
  });

  it('covers every action the CLI and the runbook use (so nothing escapes evaluation)', () => {
    const evaluated = new Set(requests.map((r) => r.action));
    expect([...used].filter((a) => !evaluated.has(a)).sort()).to.deep.equal([]);
  });

  it(`lets the CI role make every request for ${ENV}, with every condition evaluated (no context key ignored)`, async () => {
    const failures: string[] = [];
    for (const request of requests.filter((r) => !isBucketSetting(r))) {
      const verdict = await asCi(request);
      if (verdict.result !== 'Allowed') failures.push(`${verdict.result}: ${describeRequest(request)}`);
      if (verdict.ignoredContextKeys.length > 0) failures.push(`ignored ${verdict.ignoredContextKeys.join(', ')}: ${describeRequest(request)}`);
    }
    expect(failures).to.deep.equal([]);
  });

  it('lets an operator make every request, the bucket settings included', async () => {
    const failures: string[] = [];
    for (const request of requests) {
      const verdict = await asOperator(request);
      if (verdict.result !== 'Allowed' || verdict.ignoredContextKeys.length > 0) failures.push(`${verdict.result} ${verdict.ignoredContextKeys.join(',')}: ${describeRequest(request)}`);
    }
    expect(failures).to.deep.equal([]);
  });

  it('refuses the CI role the project bucket\'s settings (provision keeps what an operator set, tests/scripts/aws/bucket.test.ts)', async () => {
    const settings = requests.filter(isBucketSetting);
    expect(new Set(settings.map((r) => r.action))).to.deep.equal(new Set(BUCKET_SETTING_ACTIONS));
    for (const request of settings) expect((await asCi(request)).result, describeRequest(request)).to.equal('ImplicitlyDenied');
  });

  it('names the environment in a request of every action that acts on one, so each is tried on the others below', () => {
    const naming = new Set(requests.filter((r) => namesEnv(r, ENV)).map((r) => r.action));
    const ciActions = [...policyActions(ciPolicy as Parameters<typeof policyActions>[0])];
    expect(ciActions.filter((a) => !naming.has(a) && !ENV_FREE.includes(a)).sort()).to.deep.equal([]);
    expect(ENV_FREE.filter((a) => naming.has(a))).to.deep.equal([]);
  });

  for (const other of OTHER_ENVS) {
    describe(`the same requests for ${other}`, () => {
      let aimed: IamRequest[];
      before(() => {
        aimed = requestsFor(other, aimedAt(calls, other)).filter((r) => namesEnv(r, other));
      });

      it('are every one denied to the CI role', async () => {
        expect(aimed.length).to.be.above(50);
        const allowed: string[] = [];
        for (const request of aimed) if ((await asCi(request)).result === 'Allowed') allowed.push(describeRequest(request));
        expect(allowed).to.deep.equal([]);
      });

      it('are every one allowed to an operator', async () => {
        const failures: string[] = [];
        for (const request of aimed) {
          const verdict = await asOperator(request);
          if (verdict.result !== 'Allowed' || verdict.ignoredContextKeys.length > 0) failures.push(`${verdict.result} ${verdict.ignoredContextKeys.join(',')}: ${describeRequest(request)}`);
        }
        expect(failures).to.deep.equal([]);
      });
    });
  }

  it('lets the owner delete its own backups (teardown --delete-backups), and no branch delete main\'s', async () => {
    const deletes = requests.filter((r) => r.action === 's3:DeleteObject' && r.resource.includes('/backups/'));
    expect(deletes.length).to.be.above(0);
    for (const request of deletes) expect((await asCi(request)).result).to.equal('Allowed');
    const mains = requestsFor('main', aimedAt(calls, 'main')).filter((r) => r.action === 's3:DeleteObject' && r.resource.includes('/backups/'));
    for (const request of mains) expect((await asCi(request)).result).to.equal('ImplicitlyDenied');
  });

  it('creates every role with the boundary, and passes each role only to its own service', () => {
    const creates = requests.filter((r) => r.action === 'iam:CreateRole');
    expect(creates.map((r) => r.resource.split('/')[1])).to.include.members([`pillbox-${ENV}-instance`, `pillbox-${ENV}-scheduler`]);
    expect(new Set(creates.map((r) => r.context['iam:PermissionsBoundary']))).to.deep.equal(new Set([BOUNDARY]));
    const passes = requests.filter((r) => r.action === 'iam:PassRole').map((r) => `${r.resource.split('/')[1]} → ${r.context['iam:PassedToService']}`);
    expect([...new Set(passes)].sort()).to.deep.equal([`pillbox-${ENV}-instance → ec2.amazonaws.com`, `pillbox-${ENV}-scheduler → scheduler.amazonaws.com`]);
  });

  describe('escalation attempts by a branch', () => {
    const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
    const instance = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
    const tags = [
      { Key: 'Project', Value: 'pillbox' },
      { Key: 'Env', Value: ENV },
      { Key: 'ManagedBy', Value: 'pillbox' },
    ];
    const mainTags = tags.map((t) => (t.Key === 'Env' ? { ...t, Value: 'main' } : t));
    const ec2 = (type: string, id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${type}/${id}`;
    const otherVpc = { 'ec2:Vpc': ec2('vpc', 'vpc-0production') };
    const object = (key: string) => `arn:aws:s3:::${BUCKET}/${key}`;
    const bucket = `arn:aws:s3:::${BUCKET}`;
    /** Role names are unique in the account whatever the path: this one is main's. */
    const squatted = `arn:aws:iam::${ACCOUNT}:role/pillbox-${ENV}/pillbox-main-instance`;
    const attempts: [string, IamRequest, Verdict['result']][] = [
      ['create a role without the boundary', { action: 'iam:CreateRole', resource: role('pillbox-feat-login-instance'), context: requestTags(tags), via: '' }, 'ExplicitlyDenied'],
      ['create a role with a boundary of its choosing', { action: 'iam:CreateRole', resource: role('pillbox-feat-login-instance'), context: { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/Everything` }, via: '' }, 'ExplicitlyDenied'],
      ['create a role outside the pillbox names, even bounded', { action: 'iam:CreateRole', resource: role('admin'), context: { 'iam:PermissionsBoundary': BOUNDARY }, via: '' }, 'ImplicitlyDenied'],
      ['attach AdministratorAccess to a role without the boundary', { action: 'iam:AttachRolePolicy', resource: role('pillbox-feat-login-instance'), context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, via: '' }, 'ExplicitlyDenied'],
      ['attach AdministratorAccess even to a bounded role', { action: 'iam:AttachRolePolicy', resource: role('pillbox-feat-login-instance'), context: { 'iam:PermissionsBoundary': BOUNDARY, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, via: '' }, 'ImplicitlyDenied'],
      ['write the policy of a role without the boundary (an older one, or its own)', { action: 'iam:PutRolePolicy', resource: role('pillbox-feat-login-instance'), context: {}, via: '' }, 'ExplicitlyDenied'],
      ['delete the boundary from a role', { action: 'iam:DeleteRolePermissionsBoundary', resource: role('pillbox-feat-login-instance'), context: { 'iam:PermissionsBoundary': BOUNDARY }, via: '' }, 'ExplicitlyDenied'],
      ['swap a role to another boundary', { action: 'iam:PutRolePermissionsBoundary', resource: role('pillbox-feat-login-instance'), context: { 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' }, via: '' }, 'ExplicitlyDenied'],
      ['rewrite the boundary policy itself', { action: 'iam:CreatePolicyVersion', resource: BOUNDARY, context: {}, via: '' }, 'ExplicitlyDenied'],
      ['make an old boundary version the default', { action: 'iam:SetDefaultPolicyVersion', resource: BOUNDARY, context: {}, via: '' }, 'ExplicitlyDenied'],
      ['open a pillbox role to another principal', { action: 'iam:UpdateAssumeRolePolicy', resource: role('pillbox-feat-login-instance'), context: {}, via: '' }, 'ExplicitlyDenied'],
      ['pass an arbitrary role to EC2', { action: 'iam:PassRole', resource: role('OrganizationAccountAccessRole'), context: { 'iam:PassedToService': 'ec2.amazonaws.com' }, via: '' }, 'ImplicitlyDenied'],
      ['pass the instance role to Lambda', { action: 'iam:PassRole', resource: role('pillbox-feat-login-instance'), context: { 'iam:PassedToService': 'lambda.amazonaws.com' }, via: '' }, 'ImplicitlyDenied'],
      ['pass the schedule role to EC2', { action: 'iam:PassRole', resource: role('pillbox-feat-login-scheduler'), context: { 'iam:PassedToService': 'ec2.amazonaws.com' }, via: '' }, 'ImplicitlyDenied'],
      ['run an instance type pillbox does not allow', { action: 'ec2:RunInstances', resource: instance('*'), context: { 'ec2:InstanceType': 'p5.48xlarge', ...requestTags(tags) }, via: '' }, 'ImplicitlyDenied'],
      ['run an untagged instance', { action: 'ec2:RunInstances', resource: instance('*'), context: { 'ec2:InstanceType': 't3.medium' }, via: '' }, 'ImplicitlyDenied'],
      ['tag a foreign instance ManagedBy=pillbox (to gain SendCommand on it)', { action: 'ec2:CreateTags', resource: instance('i-0foreign'), context: requestTags([{ Key: 'ManagedBy', Value: 'pillbox' }]), via: '' }, 'ImplicitlyDenied'],
      ['re-tag a pillbox instance with another Env', { action: 'ec2:CreateTags', resource: instance('i-0abc'), context: { ...resourceTags(pillboxTags(ENV)), ...requestTags([{ Key: 'Env', Value: 'prod' }]) }, via: '' }, 'ImplicitlyDenied'],
      ['run commands on a foreign instance', { action: 'ssm:SendCommand', resource: instance('i-0foreign'), context: resourceTags({ Project: 'payroll' }), via: '' }, 'ImplicitlyDenied'],
      ['run commands with another document', { action: 'ssm:SendCommand', resource: `arn:aws:ssm:${REGION}::document/AWS-RunPowerShellScript`, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['terminate a foreign instance', { action: 'ec2:TerminateInstances', resource: instance('i-0foreign'), context: resourceTags({ Project: 'payroll' }), via: '' }, 'ImplicitlyDenied'],
      ['attach a pillbox Elastic IP to a foreign instance', { action: 'ec2:AssociateAddress', resource: instance('i-0foreign'), context: resourceTags({ Project: 'payroll' }), via: '' }, 'ImplicitlyDenied'],
      ['release a foreign Elastic IP', { action: 'ec2:ReleaseAddress', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:elastic-ip/eipalloc-0foreign`, context: resourceTags({ Project: 'payroll' }), via: '' }, 'ImplicitlyDenied'],
      ['allocate an untagged Elastic IP', { action: 'ec2:AllocateAddress', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:elastic-ip/*`, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['read another application\'s secrets', { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/payroll/db-password`, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['read another bucket\'s objects', { action: 's3:GetObject', resource: 'arn:aws:s3:::payroll-exports/2026.csv', context: {}, via: '' }, 'ImplicitlyDenied'],
      ['rewrite another bucket\'s policy', { action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::payroll-exports', context: {}, via: '' }, 'ImplicitlyDenied'],
      ['launch into a subnet of another VPC', { action: 'ec2:RunInstances', resource: ec2('subnet', 'subnet-0prod'), context: otherVpc, via: '' }, 'ImplicitlyDenied'],
      ['launch with an interface in another VPC', { action: 'ec2:RunInstances', resource: ec2('network-interface', '*'), context: { ...requestTags(tags), ...otherVpc }, via: '' }, 'ImplicitlyDenied'],
      ['create a security group in another VPC', { action: 'ec2:CreateSecurityGroup', resource: ec2('vpc', 'vpc-0production'), context: {}, via: '' }, 'ImplicitlyDenied'],
      ['launch into main\'s security group', { action: 'ec2:RunInstances', resource: ec2('security-group', 'sg-0main'), context: { ...resourceTags(pillboxTags('main')), 'ec2:Vpc': ec2('vpc', VPC_ID) }, via: '' }, 'ImplicitlyDenied'],
      ['launch a box tagged Env=main', { action: 'ec2:RunInstances', resource: instance('*'), context: { 'ec2:InstanceType': 't3.medium', ...requestTags(mainTags) }, via: '' }, 'ImplicitlyDenied'],
      ['run commands on main\'s box', { action: 'ssm:SendCommand', resource: instance('i-0main'), context: resourceTags(pillboxTags('main')), via: '' }, 'ImplicitlyDenied'],
      ['create main\'s instance role, even bounded', { action: 'iam:CreateRole', resource: role('pillbox-main-instance'), context: { 'iam:PermissionsBoundary': BOUNDARY }, via: '' }, 'ImplicitlyDenied'],
      ['pass main\'s instance role to EC2', { action: 'iam:PassRole', resource: role('pillbox-main-instance'), context: { 'iam:PassedToService': 'ec2.amazonaws.com' }, via: '' }, 'ImplicitlyDenied'],
      ['read main\'s secrets', { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/pillbox/main/secrets/POSTGRES_PASSWORD`, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['delete main\'s expiry schedule', { action: 'scheduler:DeleteSchedule', resource: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/pillbox-main-expiry-i-0main`, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['delete main\'s backups', { action: 's3:DeleteObject', resource: object('envs/main/backups/2026-12-07T03-00-00Z.dump'), context: {}, via: '' }, 'ImplicitlyDenied'],
      ['overwrite main\'s backups', { action: 's3:PutObject', resource: object('envs/main/backups/2026-12-07T03-00-00Z.dump'), context: {}, via: '' }, 'ImplicitlyDenied'],
      ['delete main\'s objects under a key that ends in a feature prefix', { action: 's3:DeleteObject', resource: object(`envs/main/backups/x/envs/${ENV}/y`), context: {}, via: '' }, 'ImplicitlyDenied'],
      ['delete a feature prefix in another pillbox- bucket', { action: 's3:DeleteObject', resource: `arn:aws:s3:::pillbox-999999999999-us-east-1/envs/${ENV}/backups/x.dump`, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['list a feature prefix of another pillbox- bucket', { action: 's3:ListBucket', resource: 'arn:aws:s3:::pillbox-999999999999-us-east-1', context: { 's3:prefix': `envs/${ENV}/` }, via: '' }, 'ImplicitlyDenied'],
      ['squat main\'s role name under a feature path', { action: 'iam:CreateRole', resource: squatted, context: { 'iam:PermissionsBoundary': BOUNDARY }, via: '' }, 'ExplicitlyDenied'],
      ['write the policy of a role under a feature path', { action: 'iam:PutRolePolicy', resource: squatted, context: { 'iam:PermissionsBoundary': BOUNDARY }, via: '' }, 'ExplicitlyDenied'],
      ['pass a role under a feature path to EC2', { action: 'iam:PassRole', resource: squatted, context: { 'iam:PassedToService': 'ec2.amazonaws.com' }, via: '' }, 'ExplicitlyDenied'],
      ['squat main\'s instance profile name under a feature path', { action: 'iam:CreateInstanceProfile', resource: `arn:aws:iam::${ACCOUNT}:instance-profile/pillbox-${ENV}/pillbox-main-instance`, context: {}, via: '' }, 'ExplicitlyDenied'],
      ['expire every backup with a lifecycle rule', { action: 's3:PutLifecycleConfiguration', resource: bucket, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['open the project bucket to another account', { action: 's3:PutBucketPolicy', resource: bucket, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['switch the project bucket to a key of its choosing', { action: 's3:PutEncryptionConfiguration', resource: bucket, context: {}, via: '' }, 'ImplicitlyDenied'],
    ];

    for (const [what, request, expected] of attempts) {
      it(`denies: ${what}`, async () => {
        const verdict = await asCi(request);
        expect(verdict.result).to.equal(expected);
        expect(verdict.ignoredContextKeys).to.deep.equal([]);
      });
    }
  });
});
