// The deploy role's policy proven by evaluation: every request the CLI makes, recorded from
// real runs of provision (with a domain, so its Elastic IP), a --replace (backup and restore),
// status, a deploy's tag, extend and teardown against the in-memory AWS with its project bucket
// (plus the sessions it opens and the runbook's commands), is translated into what IAM authorizes
// and evaluated with an IAM policy simulator. Then the ways a branch could try to turn the
// role into account admin are evaluated, and each must be denied.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isWildcardOnlyAction } from '@cloud-copilot/iam-simulate';
import { expect } from 'chai';
import { findInstances } from '../../scripts/lib/aws/environment.js';
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
import { cliActionUses, requiredActions, sdkWaiterResolver } from './aws-sdk-actions.js';
import { iamRequests, pillboxTags, requestTags, resourceTags, sessionRequests, type Account, type IamRequest, type SentCall } from './iam-requests.js';
import { ACCOUNT, DEPLOY_USER_ID, evaluate, REGION, type Verdict } from './iam-simulator.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const deployPolicy = JSON.parse(readFileSync(`${root}docs/deploy-role-policy.json`, 'utf8')) as object;
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/pillbox-boundary`;
const account: Account = { accountId: ACCOUNT, region: REGION, resourceTags: pillboxTags('dev'), boundaryArn: BOUNDARY };

/** Every call the CLI's flows send, in order, as the mocks recorded them. */
async function recordedCalls(): Promise<SentCall[]> {
  const world = aWorld({ region: REGION, accountId: ACCOUNT });
  const fake = fakeAws(world);
  try {
    // With a domain: an Elastic IP is allocated (tagged on creation) and attached.
    await provision(aConfig({ domain: 'app.example.com' }), depsFor(fake));
    // A re-provision that replaces the box and narrows the range: the schedule is updated, the old rules
    // revoked, and the address moved to the new box.
    await provision(aConfig({ replace: true, allowedCidr: '198.51.100.0/24' }), depsFor(fake, { runId: 'run00002' }));
    const [box] = await findInstances(fake.clients.ec2, 'dev');
    const clock = world.clock;
    const run = ssmRunner(fake.clients.ssm, box!.id, { clock });
    await collectStatus({ ec2: fake.clients.ec2, ssm: fake.clients.ssm, scheduler: fake.clients.scheduler, now: () => new Date(clock.now()), newId: () => 'a1b2c3d4', clock }, 'dev');
    // What a deploy does in AWS besides SendCommand: record the commit the box now serves.
    await tagDeployedCommit(fake.clients.ec2, box!.id, 'b'.repeat(40));
    await extendEnvironment({ ec2: fake.clients.ec2, scheduler: fake.clients.scheduler, schedulerRoleArn: schedulerRoleArn({ env: 'dev', accountId: world.accountId }), run, now: () => new Date(clock.now()), clock }, box!, 2, 72);
    // The doctor reads the Session Manager preferences (the fake account has none to answer with).
    await checkSessionPreferences(fake.clients.ssm).catch(() => undefined);
    // Someone attached a managed policy to the role by hand; teardown detaches it.
    world.roles.get('pillbox-dev-instance')?.attached.push('arn:aws:iam::aws:policy/ReadOnlyAccess');
    // A final backup, then the source archives go (the backups stay).
    await teardownEnvironment('dev', teardownDeps(fake));
    return Object.values(fake.mocks).flatMap((mock) =>
      mock.calls().map((c) => {
        const command = c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
        return { command: command.constructor.name, input: command.input };
      }),
    );
  } finally {
    fake.restore();
  }
}

/** The runbook's commands, run by an operator with the same role. */
const runbookRequests = (instanceId: string): IamRequest[] => [
  { action: 'ec2:GetConsoleOutput', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`, context: resourceTags(account.resourceTags), via: 'aws ec2 get-console-output' },
  { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/pillbox/dev/secrets/ELASTIC_PASSWORD`, context: {}, via: 'aws ssm get-parameter' },
  { action: 'ssm:DeleteParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/pillbox/dev/lock`, context: {}, via: 'aws ssm delete-parameter' },
];

const describeRequest = (r: IamRequest) => `${r.action} on ${r.resource} ${JSON.stringify(r.context)} (from ${r.via})`;
const deploy = (r: IamRequest): Promise<Verdict> => evaluate(r, { identity: [deployPolicy] });

describe('deploy role policy, evaluated', function () {
  this.timeout(60_000);
  let requests: IamRequest[];

  let used: Set<string>;

  before(async () => {
    used = requiredActions(cliActionUses(root, sdkWaiterResolver(`${root}node_modules`)).map((u) => u.action));
    const calls = await recordedCalls();
    const session = { instanceId: 'i-0abc', region: REGION };
    requests = [
      ...calls.flatMap((call) => iamRequests(call, account)),
      ...sessionRequests(shellSessionArgs(session), account, DEPLOY_USER_ID),
      ...sessionRequests(portForwardArgs(session, 5601, 5601), account, DEPLOY_USER_ID),
      ...runbookRequests('i-0abc'),
    ];
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

  it('allows every request the CLI makes, with every condition evaluated (no context key ignored)', async () => {
    const failures: string[] = [];
    for (const request of requests) {
      const verdict = await deploy(request);
      if (verdict.result !== 'Allowed') failures.push(`${verdict.result}: ${describeRequest(request)}`);
      if (verdict.ignoredContextKeys.length > 0) failures.push(`ignored ${verdict.ignoredContextKeys.join(', ')}: ${describeRequest(request)}`);
    }
    expect(failures).to.deep.equal([]);
  });

  it('creates every role with the boundary, and passes each role only to its own service', () => {
    const creates = requests.filter((r) => r.action === 'iam:CreateRole');
    expect(creates.map((r) => r.resource.split('/')[1])).to.include.members(['pillbox-dev-instance', 'pillbox-dev-scheduler']);
    expect(new Set(creates.map((r) => r.context['iam:PermissionsBoundary']))).to.deep.equal(new Set([BOUNDARY]));
    const passes = requests.filter((r) => r.action === 'iam:PassRole').map((r) => `${r.resource.split('/')[1]} → ${r.context['iam:PassedToService']}`);
    expect([...new Set(passes)].sort()).to.deep.equal(['pillbox-dev-instance → ec2.amazonaws.com', 'pillbox-dev-scheduler → scheduler.amazonaws.com']);
  });

  describe('escalation attempts by a branch', () => {
    const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
    const instance = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
    const tags = [
      { Key: 'Project', Value: 'pillbox' },
      { Key: 'ManagedBy', Value: 'pillbox' },
    ];
    const attempts: [string, IamRequest, Verdict['result']][] = [
      ['create a role without the boundary', { action: 'iam:CreateRole', resource: role('pillbox-dev-instance'), context: requestTags(tags), via: '' }, 'ExplicitlyDenied'],
      ['create a role with a boundary of its choosing', { action: 'iam:CreateRole', resource: role('pillbox-dev-instance'), context: { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/Everything` }, via: '' }, 'ExplicitlyDenied'],
      ['create a role outside the pillbox names, even bounded', { action: 'iam:CreateRole', resource: role('admin'), context: { 'iam:PermissionsBoundary': BOUNDARY }, via: '' }, 'ImplicitlyDenied'],
      ['attach AdministratorAccess to a role without the boundary', { action: 'iam:AttachRolePolicy', resource: role('pillbox-dev-instance'), context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, via: '' }, 'ExplicitlyDenied'],
      ['attach AdministratorAccess even to a bounded role', { action: 'iam:AttachRolePolicy', resource: role('pillbox-dev-instance'), context: { 'iam:PermissionsBoundary': BOUNDARY, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, via: '' }, 'ImplicitlyDenied'],
      ['write the policy of a role without the boundary (an older one, or its own)', { action: 'iam:PutRolePolicy', resource: role('pillbox-dev-instance'), context: {}, via: '' }, 'ExplicitlyDenied'],
      ['delete the boundary from a role', { action: 'iam:DeleteRolePermissionsBoundary', resource: role('pillbox-dev-instance'), context: { 'iam:PermissionsBoundary': BOUNDARY }, via: '' }, 'ExplicitlyDenied'],
      ['swap a role to another boundary', { action: 'iam:PutRolePermissionsBoundary', resource: role('pillbox-dev-instance'), context: { 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' }, via: '' }, 'ExplicitlyDenied'],
      ['rewrite the boundary policy itself', { action: 'iam:CreatePolicyVersion', resource: BOUNDARY, context: {}, via: '' }, 'ExplicitlyDenied'],
      ['make an old boundary version the default', { action: 'iam:SetDefaultPolicyVersion', resource: BOUNDARY, context: {}, via: '' }, 'ExplicitlyDenied'],
      ['open a pillbox role to another principal', { action: 'iam:UpdateAssumeRolePolicy', resource: role('pillbox-dev-instance'), context: {}, via: '' }, 'ExplicitlyDenied'],
      ['pass an arbitrary role to EC2', { action: 'iam:PassRole', resource: role('OrganizationAccountAccessRole'), context: { 'iam:PassedToService': 'ec2.amazonaws.com' }, via: '' }, 'ImplicitlyDenied'],
      ['pass the instance role to Lambda', { action: 'iam:PassRole', resource: role('pillbox-dev-instance'), context: { 'iam:PassedToService': 'lambda.amazonaws.com' }, via: '' }, 'ImplicitlyDenied'],
      ['pass the schedule role to EC2', { action: 'iam:PassRole', resource: role('pillbox-dev-scheduler'), context: { 'iam:PassedToService': 'ec2.amazonaws.com' }, via: '' }, 'ImplicitlyDenied'],
      ['run an instance type pillbox does not allow', { action: 'ec2:RunInstances', resource: instance('*'), context: { 'ec2:InstanceType': 'p5.48xlarge', ...requestTags(tags) }, via: '' }, 'ImplicitlyDenied'],
      ['run an untagged instance', { action: 'ec2:RunInstances', resource: instance('*'), context: { 'ec2:InstanceType': 't3.medium' }, via: '' }, 'ImplicitlyDenied'],
      ['tag a foreign instance ManagedBy=pillbox (to gain SendCommand on it)', { action: 'ec2:CreateTags', resource: instance('i-0foreign'), context: requestTags([{ Key: 'ManagedBy', Value: 'pillbox' }]), via: '' }, 'ImplicitlyDenied'],
      ['re-tag a pillbox instance with another Env', { action: 'ec2:CreateTags', resource: instance('i-0abc'), context: { ...resourceTags(pillboxTags('dev')), ...requestTags([{ Key: 'Env', Value: 'prod' }]) }, via: '' }, 'ImplicitlyDenied'],
      ['run commands on a foreign instance', { action: 'ssm:SendCommand', resource: instance('i-0foreign'), context: resourceTags({ Project: 'payroll' }), via: '' }, 'ImplicitlyDenied'],
      ['run commands with another document', { action: 'ssm:SendCommand', resource: `arn:aws:ssm:${REGION}::document/AWS-RunPowerShellScript`, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['terminate a foreign instance', { action: 'ec2:TerminateInstances', resource: instance('i-0foreign'), context: resourceTags({ Project: 'payroll' }), via: '' }, 'ImplicitlyDenied'],
      ['attach a pillbox Elastic IP to a foreign instance', { action: 'ec2:AssociateAddress', resource: instance('i-0foreign'), context: resourceTags({ Project: 'payroll' }), via: '' }, 'ImplicitlyDenied'],
      ['release a foreign Elastic IP', { action: 'ec2:ReleaseAddress', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:elastic-ip/eipalloc-0foreign`, context: resourceTags({ Project: 'payroll' }), via: '' }, 'ImplicitlyDenied'],
      ['allocate an untagged Elastic IP', { action: 'ec2:AllocateAddress', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:elastic-ip/*`, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['read another application\'s secrets', { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/payroll/db-password`, context: {}, via: '' }, 'ImplicitlyDenied'],
      ['read another bucket\'s objects', { action: 's3:GetObject', resource: 'arn:aws:s3:::payroll-exports/2026.csv', context: {}, via: '' }, 'ImplicitlyDenied'],
      ['rewrite another bucket\'s policy', { action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::payroll-exports', context: {}, via: '' }, 'ImplicitlyDenied'],
    ];

    for (const [what, request, expected] of attempts) {
      it(`denies: ${what}`, async () => {
        const verdict = await deploy(request);
        expect(verdict.result).to.equal(expected);
        expect(verdict.ignoredContextKeys).to.deep.equal([]);
      });
    }
  });
});
