import { readFileSync } from 'node:fs';
import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { expect } from 'chai';
import { bucketName } from '../../../scripts/lib/aws/bucket-keys.js';
import { withAccountValues } from '../../../scripts/lib/aws/cli-policy.js';
import { checkPermissions, type Denial } from '../../../scripts/lib/doctor/permissions.js';
import { parsePolicyDocument, policyActionNames } from '../../../scripts/lib/doctor/policy-scopes.js';
import { principalOf } from '../../../scripts/lib/doctor/principal.js';
import { anAccount, awsError, fakeClients, type Account } from './fake-account.js';

const DOCUMENTED_TEXT = readFileSync(new URL('../../../docs/operator-policy.json', import.meta.url), 'utf8');
const DOCUMENTED = parsePolicyDocument(DOCUMENTED_TEXT, 'docs/operator-policy.json');
const TOTAL = policyActionNames(DOCUMENTED).length;

/** The fake account's project bucket, which the guide fills in for BUCKET_NAME. */
const BUCKET = bucketName(anAccount().accountId, anAccount().region);

/** The documented policy as an operator would attach it (the bucket's name filled in), optionally edited. */
function attached(edit: (statements: { Sid?: string; Condition?: Record<string, Record<string, unknown>> }[]) => unknown = () => undefined): object {
  const copy = withAccountValues(JSON.parse(DOCUMENTED_TEXT) as { Statement: { Sid?: string }[] }, { bucket: BUCKET });
  edit(copy.Statement);
  return copy;
}

const SSO_ROLE = 'AWSReservedSSO_PillboxOperator_0123456789abcdef';
const SSO_PATH = '/aws-reserved/sso.amazonaws.com/eu-west-1/';
const ssoCaller = { arn: `arn:aws:sts::123456789012:assumed-role/${SSO_ROLE}/ana@example.com`, userId: 'AROASSOEXAMPLE:ana@example.com' };

describe('doctor: own permissions', () => {
  let fake: ReturnType<typeof fakeClients>;
  afterEach(() => fake?.restore());
  const check = (account: Account) => {
    fake = fakeClients(account);
    return checkPermissions({ iam: fake.clients.iam, identity: { account: account.accountId, ...account.caller }, region: account.region, policy: DOCUMENTED });
  };
  const simulated = () => (fake.sent.SimulatePrincipalPolicy ?? []) as { PolicySourceArn?: string; ActionNames?: string[]; Marker?: string }[];
  const denied = (data: unknown) => (data as { denied: Denial[] }).denied;

  it('allows everything for a role that holds exactly the documented policy (conditions, tags and resources satisfied)', async () => {
    const result = await check(anAccount({ roles: { operator: { path: '/', policies: [attached()] } } }));
    expect(result).to.deep.equal({
      name: 'permissions',
      status: 'ok',
      detail: `all ${TOTAL} actions in docs/operator-policy.json allowed for arn:aws:iam::123456789012:role/operator`,
      data: { principal: 'arn:aws:iam::123456789012:role/operator', denied: [] },
    });
    expect(simulated().every((input) => input.PolicySourceArn === 'arn:aws:iam::123456789012:role/operator')).to.equal(true);
  });

  it('reads the path of an IAM Identity Center role with iam:GetRole and simulates that role', async () => {
    const account = anAccount({ caller: ssoCaller, roles: { [SSO_ROLE]: { path: SSO_PATH, policies: [attached()] } } });
    const result = await check(account);
    expect(result.status).to.equal('ok');
    expect(fake.sent.GetRole).to.deep.equal([{ RoleName: SSO_ROLE }]);
    expect(simulated()[0]?.PolicySourceArn).to.equal(`arn:aws:iam::123456789012:role${SSO_PATH}${SSO_ROLE}`);
  });

  it('assumes no path when iam:GetRole is denied, which is right for a role at /', async () => {
    const result = await check(anAccount({ faults: { GetRole: [awsError('AccessDenied', 'not authorized to perform: iam:GetRole')] } }));
    expect(result.status).to.equal('ok');
    expect(simulated()[0]?.PolicySourceArn).to.equal('arn:aws:iam::123456789012:role/operator');
  });

  it('warns, naming the guessed path, when iam:GetRole is denied and the role has a path', async () => {
    const account = anAccount({ caller: ssoCaller, roles: { [SSO_ROLE]: { path: SSO_PATH, policies: [attached()] } }, faults: { GetRole: [awsError('AccessDenied')] } });
    const result = await check(account);
    expect(result.status).to.equal('warn');
    expect(result.detail).to.equal(`not evaluated: IAM has no arn:aws:iam::123456789012:role/${SSO_ROLE} (iam:GetRole was denied, so the role path was a guess)`);
    expect(result.fix).to.contain('Allow iam:GetRole on your own role');
  });

  it('warns, without failing, when the caller may not call SimulatePrincipalPolicy itself', async () => {
    const result = await check(anAccount({ faults: { SimulatePrincipalPolicy: [awsError('AccessDenied', 'not authorized to perform: iam:SimulatePrincipalPolicy')] } }));
    expect(result.status).to.equal('warn');
    expect(result.detail).to.equal('not evaluated: arn:aws:iam::123456789012:role/operator may not call iam:SimulatePrincipalPolicy on itself');
    expect(result.fix).to.contain('docs/operator-policy.json');
  });

  it('asks with the default VPC filled in, as the guide attaches the policy, so a policy pinned to another VPC is refused', async () => {
    const vpc = 'vpc-0default';
    const pinned = (id: string) => anAccount({ roles: { operator: { path: '/', policies: [withAccountValues(attached(), { vpcId: id })] } } });
    const ask = (account: Account) => {
      fake = fakeClients(account);
      return checkPermissions({ iam: fake.clients.iam, identity: { account: account.accountId, ...account.caller }, region: account.region, policy: DOCUMENTED, defaultVpcId: vpc });
    };
    expect((await ask(pinned(vpc))).status).to.equal('ok');
    fake.restore();
    const elsewhere = await ask(pinned('vpc-0elsewhere'));
    expect(elsewhere.status).to.equal('fail');
    expect([...new Set(denied(elsewhere.data).map((d) => d.action))].sort()).to.deep.equal(['ec2:CreateSecurityGroup', 'ec2:RunInstances']);
  });

  it('asks about the account\'s own bucket, so a policy attached with BUCKET_NAME left in is refused every S3 action', async () => {
    const unfilled = JSON.parse(DOCUMENTED_TEXT) as object;
    const result = await check(anAccount({ roles: { operator: { path: '/', policies: [unfilled] } } }));
    expect(result.status).to.equal('fail');
    expect([...new Set(denied(result.data).map((d) => d.action.split(':')[0]))]).to.deep.equal(['s3']);
  });

  it('fails with the denied actions grouped by service, and the fix: attach the documented policy', async () => {
    const policy = attached((s) => s.splice(s.findIndex((x) => x.Sid === 'PassInstanceRolesToEc2Only'), 1).concat(s.splice(s.findIndex((x) => x.Sid === 'ChangeOwnResources'), 1)));
    const result = await check(anAccount({ roles: { operator: { path: '/', policies: [policy] } } }));
    expect(result.status).to.equal('fail');
    // The removed statements' own actions, as the documented policy lists them today.
    const actionsOf = (sid: string) => [(JSON.parse(DOCUMENTED_TEXT) as { Statement: { Sid?: string; Action: string | string[] }[] }).Statement.find((x) => x.Sid === sid)?.Action ?? []].flat();
    const ec2 = actionsOf('ChangeOwnResources').map((a) => a.replace('ec2:', ''));
    expect(ec2).to.include('TerminateInstances');
    const shown = /^(\d+) of (\d+) actions the CLI needs are denied for arn:aws:iam::123456789012:role\/operator: ec2: (.*); iam: PassRole$/.exec(result.detail ?? '');
    expect(shown?.slice(1, 3)).to.deep.equal([String(ec2.length + 1), String(TOTAL)]);
    expect(shown?.[3]?.split(', ').sort()).to.deep.equal([...ec2].sort());
    expect(result.fix).to.equal('Attach docs/operator-policy.json to arn:aws:iam::123456789012:role/operator (docs/aws-setup.md, step 4; for an IAM Identity Center role, to its permission set).');
    expect(denied(result.data).find((d) => d.action === 'iam:PassRole')).to.deep.equal({ action: 'iam:PassRole', sid: 'PassInstanceRolesToEc2Only', cause: 'not granted', missingContext: [] });
  });

  it('fails a caller whose policy predates the project bucket, naming each S3 action on the bucket and its objects', async () => {
    const before = attached((st) => st.splice(st.findIndex((x) => x.Sid === 'ListProjectBucket'), 3));
    const result = await check(anAccount({ roles: { operator: { path: '/', policies: [before] } } }));
    expect(result.status).to.equal('fail');
    expect(denied(result.data).map((d) => `${d.sid} ${d.action}`).sort()).to.deep.equal([
      'ListProjectBucket s3:ListBucket',
      'OwnObjects s3:DeleteObject',
      'OwnObjects s3:GetObject',
      'OwnObjects s3:PutObject',
      'OwnObjects s3:PutObjectTagging',
      'ProjectBucketSettings s3:CreateBucket',
      'ProjectBucketSettings s3:PutBucketPolicy',
      'ProjectBucketSettings s3:PutBucketPublicAccessBlock',
      'ProjectBucketSettings s3:PutBucketTagging',
      'ProjectBucketSettings s3:PutEncryptionConfiguration',
      'ProjectBucketSettings s3:PutLifecycleConfiguration',
    ]);
    expect(result.detail).to.match(/^11 of \d+ actions the CLI needs are denied for arn:aws:iam::123456789012:role\/operator: s3: /);
  });

  it('denies a launch whose tags the caller\'s policy does not accept: the request context is what the CLI sends', async () => {
    const policy = attached((s) => {
      const launch = s.find((x) => x.Sid === 'LaunchTaggedInstances');
      if (launch?.Condition) launch.Condition.StringEquals = { 'aws:RequestTag/Project': 'someone-else' };
    });
    const result = await check(anAccount({ roles: { operator: { path: '/', policies: [policy] } } }));
    expect(result.status).to.equal('fail');
    expect(denied(result.data).map((d) => `${d.sid} ${d.action}`)).to.deep.equal(['LaunchTaggedInstances ec2:RunInstances']);
  });

  it('names a permissions boundary and an organization SCP as the causes, with who can lift them', async () => {
    const boundary = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: 'ssm:StartSession', Resource: '*' }] };
    const scp = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: '*' },
      ],
    };
    const result = await check(anAccount({ roles: { operator: { path: '/', policies: [attached()], boundary } }, scps: [scp] }));
    expect(result.status).to.equal('fail');
    expect([...new Set(denied(result.data).map((d) => `${d.action} ${d.cause}`))]).to.have.members(['ssm:StartSession permissions boundary', 'ec2:TerminateInstances organization SCP']);
    expect(result.fix).to.equal(
      "Your permissions boundary blocks ssm: StartSession: ask an administrator to widen it. An organization SCP blocks ec2: TerminateInstances: ask the organization's administrator.",
    );
  });

  it('reads every page of the simulation (Marker / IsTruncated), so a denial on a later page is reported', async () => {
    const policy = attached((s) => {
      const describe = s.find((x) => x.Sid === 'DescribeOnly') as { Action: string[] } | undefined;
      describe?.Action.splice(describe.Action.indexOf('ssm:GetCommandInvocation'), 1);
    });
    const result = await check(anAccount({ pageSize: 3, roles: { operator: { path: '/', policies: [policy] } } }));
    expect(denied(result.data).map((d) => d.action)).to.deep.equal(['ssm:GetCommandInvocation']);
    const describeCalls = simulated().filter((input) => input.ActionNames?.includes('ec2:DescribeVpcs'));
    expect(describeCalls.map((input) => input.Marker)).to.deep.equal([undefined, '3', '6', '9', '12', '15']);
    expect(new Set(describeCalls.map((input) => JSON.stringify(input.ActionNames))).size).to.equal(1);
  });

  it('warns instead of failing when every denial hangs on context the doctor cannot supply', async () => {
    fake = fakeClients(anAccount());
    fake.mocks.iam.on(SimulatePrincipalPolicyCommand).resolves({
      EvaluationResults: [
        { EvalActionName: 'ec2:RunInstances', EvalDecision: 'implicitDeny', ResourceSpecificResults: [{ EvalResourceName: 'x', EvalResourceDecision: 'implicitDeny', MissingContextValues: ['aws:MultiFactorAuthPresent'] }] },
      ],
      IsTruncated: false,
    });
    const result = await checkPermissions({ iam: fake.clients.iam, identity: { account: '123456789012', ...anAccount().caller }, region: 'eu-west-1', policy: DOCUMENTED });
    expect(result.status).to.equal('warn');
    expect(result.detail).to.match(/\(the answer depends on aws:MultiFactorAuthPresent, which the doctor cannot supply\)$/);
  });

  it('warns that the root user may do everything, without asking IAM', async () => {
    const result = await check(anAccount({ caller: { arn: 'arn:aws:iam::123456789012:root', userId: '123456789012' } }));
    expect(result.status).to.equal('warn');
    expect(result.fix).to.contain('not as root');
    expect(simulated()).to.deep.equal([]);
  });

  describe('whose policies to simulate', () => {
    it('maps a role session to its role, an IAM user to itself, and sets root and federated users apart', () => {
      expect(principalOf('arn:aws:sts::123456789012:assumed-role/pillbox-deploy/GitHubActions')).to.deep.equal({
        kind: 'role-session',
        partition: 'aws',
        account: '123456789012',
        roleName: 'pillbox-deploy',
      });
      expect(principalOf('arn:aws-cn:iam::123456789012:user/ops/ana')).to.deep.equal({ kind: 'entity', partition: 'aws-cn', account: '123456789012', arn: 'arn:aws-cn:iam::123456789012:user/ops/ana' });
      expect(principalOf('arn:aws:iam::123456789012:root')).to.deep.equal({ kind: 'root', account: '123456789012' });
      expect(principalOf('arn:aws:sts::123456789012:federated-user/ana')).to.include({ kind: 'other', what: 'a federated user' });
    });
  });
});
