// docs/permissions-boundary.json caps every role the CLI creates. Evaluated: everything the
// instance role and the expiry schedule's role are given passes the boundary, and a role
// whose policy a branch rewrote to "*:*" still cannot reach past it. The setup guide fills in
// the project bucket's name for BUCKET_NAME before creating it; so do these tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { bucketName } from '../../scripts/lib/aws/bucket-keys.js';
import { BUCKET_PLACEHOLDER, withAccountValues } from '../../scripts/lib/aws/cli-policy.js';
import { schedulerPolicy } from '../../scripts/lib/aws/expiry-schedule.js';
import { BOUNDARY_POLICY } from '../../scripts/lib/aws/iam.js';
import { instancePolicy, type PolicyDocument } from '../../scripts/lib/aws/instance-policy.js';
import { pillboxTags, resourceTags, type IamRequest } from './iam-requests.js';
import { ACCOUNT, evaluate, REGION } from './iam-simulator.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BUCKET = bucketName(ACCOUNT, REGION);
const boundary = withAccountValues(JSON.parse(readFileSync(`${root}docs/permissions-boundary.json`, 'utf8')) as PolicyDocument, { bucket: BUCKET });
const scope = { env: 'dev', region: REGION, accountId: ACCOUNT };
const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A concrete value a pattern covers (a trailing wildcard stands for any name). */
const sample = (pattern: string): string => (pattern === '*' ? '*' : pattern.replace(/\*$/, 'sample'));

/** A context that meets a statement's StringEquals and StringLike conditions. */
function meeting(condition: PolicyDocument['Statement'][number]['Condition']): Record<string, string | string[]> {
  const like = Object.entries(condition?.StringLike ?? {}).map(([key, value]) => [key, sample(list(value)[0] ?? '')]);
  return { ...condition?.StringEquals, ...Object.fromEntries(like) };
}

/** One request per action and resource a policy grants, in a context that meets its conditions. */
function grantedRequests(policy: PolicyDocument, via: string): IamRequest[] {
  return policy.Statement.flatMap((s) =>
    list(s.Action).flatMap((action) =>
      list(s.Resource).map((resource) => ({
        action,
        resource: sample(resource),
        context: meeting(s.Condition),
        via: `${via} ${s.Sid ?? ''}`,
      })),
    ),
  );
}

/** What AWS puts in the context of a request signed with the box's instance-profile credentials. */
const onTheBox = (env: string): Record<string, string> => ({ 'aws:PrincipalTag/Env': env, 'aws:Ec2InstanceSourceVpc': 'vpc-0default', 'aws:Ec2InstanceSourcePrivateIPv4': '172.31.5.10' });
/** A session of the role obtained any other way (AssumeRole through a trust someone wrote), signing its own requests. */
const offTheBox = (env: string): Record<string, string> => ({ 'aws:PrincipalTag/Env': env, 'aws:ViaAWSService': 'false' });
/**
 * A request an AWS service makes with the box's session (a forward access session: Parameter Store
 * decrypting a SecureString for GetParametersByPath --with-decryption). AWS sets aws:ViaAWSService
 * and leaves out the EC2 instance keys (IAM User Guide, "AWS global condition context keys").
 */
const forTheBox = (env: string): Record<string, string> => ({ 'aws:PrincipalTag/Env': env, 'aws:ViaAWSService': 'true' });
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const instance = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
const object = (key: string) => `arn:aws:s3:::${BUCKET}/${key}`;
const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const throughSsm = { 'kms:ViaService': `ssm.${REGION}.amazonaws.com` };
const parameter = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

describe('permissions boundary (docs/permissions-boundary.json)', () => {
  const roles: [string, string, PolicyDocument, Record<string, string>][] = [
    ['instance role, on its box', 'pillbox-dev-instance', instancePolicy(scope), onTheBox('dev')],
    ['expiry schedule role, as the scheduler uses it', 'pillbox-dev-scheduler', schedulerPolicy(scope), offTheBox('dev')],
  ];

  for (const [name, roleName, policy, session] of roles) {
    it(`lets the ${name} do everything its policy grants`, async () => {
      const requests = grantedRequests(policy, name);
      expect(requests.length).to.be.above(0);
      for (const request of requests) {
        const verdict = await evaluate(request, { identity: [policy], boundary, principal: role(roleName), session });
        expect(verdict, `${request.action} on ${request.resource}`).to.deep.equal({ result: 'Allowed', ignoredContextKeys: [] });
      }
    });
  }

  // Not "credentials used outside EC2": credentials taken from the instance metadata service carry
  // aws:Ec2InstanceSourceVpc wherever they are used (docs/aws-setup.md, "Stolen instance credentials").
  it('denies the instance role everything in a session that is not an instance profile\'s (a trust to an outside account, AssumeRole by anyone)', async () => {
    const requests = grantedRequests(instancePolicy(scope), 'instance role');
    for (const request of requests) {
      const verdict = await evaluate(request, { identity: [instancePolicy(scope)], boundary, principal: role('pillbox-dev-instance'), session: offTheBox('dev') });
      expect(verdict.result, `${request.action} on ${request.resource}`).to.equal('ExplicitlyDenied');
    }
  });

  describe('requests AWS services make on the box role\'s behalf (no instance keys)', () => {
    // The key policy of an AWS managed key such as aws/ssm: every principal of the account, through that service only.
    const managedKeyPolicy = (principal: string) => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT, 'kms:ViaService': `ssm.${REGION}.amazonaws.com` } } }],
    });
    const decrypt: IamRequest = { action: 'kms:Decrypt', resource: key, context: { ...throughSsm, 'kms:CallerAccount': ACCOUNT }, via: 'ssm get-parameters-by-path --with-decryption' };
    const asBox = (request: IamRequest, session: Record<string, string>, identity: object = instancePolicy(scope), keyPolicy: object = managedKeyPolicy('*')) =>
      evaluate(request, { identity: [identity], boundary, resource: keyPolicy, principal: role('pillbox-dev-instance'), session });

    it('lets Parameter Store decrypt the box\'s SecureStrings with its session (aws:ViaAWSService), by the aws/ssm key policy', async () => {
      expect(await asBox(decrypt, forTheBox('dev'))).to.deep.equal({ result: 'Allowed', ignoredContextKeys: [] });
    });

    it('denies the same decrypt signed by a session of the role itself, without instance keys', async () => {
      expect((await asBox(decrypt, offTheBox('dev'))).result).to.equal('ExplicitlyDenied');
    });

    // A key policy that names the role (not a session) is limited by the boundary's implicit deny (IAM User Guide,
    // "Policy evaluation logic", resource-based policies within one account), so the boundary allows the decrypt itself.
    it('lets a key policy naming the role decrypt through Parameter Store only', async () => {
      const naming = managedKeyPolicy(role('pillbox-dev-instance'));
      expect((await asBox(decrypt, forTheBox('dev'), everything, naming)).result).to.equal('Allowed');
      const direct = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: role('pillbox-dev-instance') }, Action: 'kms:Decrypt', Resource: '*' }] };
      expect((await asBox({ ...decrypt, context: {} }, onTheBox('dev'), everything, direct)).result).to.equal('ImplicitlyDenied');
    });
  });

  describe('caps a bounded role whose policy a branch rewrote to "*:*", on its own box', () => {
    const attempts: [string, IamRequest][] = [
      ['create a role', { action: 'iam:CreateRole', resource: role('escape'), context: {}, via: '' }],
      ['attach a policy to itself', { action: 'iam:AttachRolePolicy', resource: role('pillbox-dev-instance'), context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, via: '' }],
      ['remove its own boundary', { action: 'iam:DeleteRolePermissionsBoundary', resource: role('pillbox-dev-instance'), context: {}, via: '' }],
      ['pass a role', { action: 'iam:PassRole', resource: role('pillbox-dev-instance'), context: { 'iam:PassedToService': 'ec2.amazonaws.com' }, via: '' }],
      ['assume another role', { action: 'sts:AssumeRole', resource: role('OrganizationAccountAccessRole'), context: {}, via: '' }],
      ['launch an instance', { action: 'ec2:RunInstances', resource: instance('*'), context: { 'ec2:InstanceType': 't3.medium' }, via: '' }],
      ['run commands on other boxes', { action: 'ssm:SendCommand', resource: instance('i-0other'), context: resourceTags(pillboxTags('prod')), via: '' }],
      ['open a session on other boxes', { action: 'ssm:StartSession', resource: instance('i-0other'), context: resourceTags(pillboxTags('prod')), via: '' }],
      ['terminate a foreign instance', { action: 'ec2:TerminateInstances', resource: instance('i-0foreign'), context: resourceTags({ Project: 'payroll' }), via: '' }],
      ['terminate another environment\'s box', { action: 'ec2:TerminateInstances', resource: instance('i-0main'), context: resourceTags(pillboxTags('main')), via: '' }],
      ['read another application\'s parameters', { action: 'ssm:GetParameter', resource: parameter('/payroll/db-password'), context: {}, via: '' }],
      ['read another environment\'s secrets', { action: 'ssm:GetParameter', resource: parameter('/pillbox/main/secrets/POSTGRES_PASSWORD'), context: {}, via: '' }],
      ['read any S3 object', { action: 's3:GetObject', resource: 'arn:aws:s3:::payroll-exports/2026.csv', context: {}, via: '' }],
      ['read project bucket objects outside envs/', { action: 's3:GetObject', resource: object('other/x'), context: {}, via: '' }],
      ['read another environment\'s backups', { action: 's3:GetObject', resource: object('envs/main/backups/x.dump'), context: {}, via: '' }],
      ['read another environment\'s backups under a key that ends in its own prefix', { action: 's3:GetObject', resource: object('envs/main/backups/x/envs/dev/y'), context: {}, via: '' }],
      ['read its own prefix in another pillbox- bucket', { action: 's3:GetObject', resource: `arn:aws:s3:::pillbox-999999999999-us-east-1/envs/dev/x`, context: {}, via: '' }],
      ['list the project bucket without a prefix', { action: 's3:ListBucket', resource: `arn:aws:s3:::${BUCKET}`, context: {}, via: '' }],
      ['list another environment\'s prefix', { action: 's3:ListBucket', resource: `arn:aws:s3:::${BUCKET}`, context: { 's3:prefix': 'envs/main/backups/' }, via: '' }],
      ['overwrite another environment\'s backups', { action: 's3:PutObject', resource: object('envs/main/backups/x.dump'), context: {}, via: '' }],
      ['delete backups', { action: 's3:DeleteObject', resource: object('envs/dev/backups/x.dump'), context: {}, via: '' }],
      ['change the project bucket\'s policy', { action: 's3:PutBucketPolicy', resource: `arn:aws:s3:::pillbox-${ACCOUNT}-${REGION}`, context: {}, via: '' }],
    ];
    for (const [what, request] of attempts) {
      it(`cannot ${what}`, async () => {
        const verdict = await evaluate(request, { identity: [everything], boundary, principal: role('pillbox-dev-instance'), session: onTheBox('dev') });
        expect(verdict).to.deep.equal({ result: 'ImplicitlyDenied', ignoredContextKeys: [] });
      });
    }
  });

  describe('keeps a schedule role, whoever assumes it, to terminating its own environment\'s boxes', () => {
    const asScheduler = (request: IamRequest) => evaluate(request, { identity: [everything], boundary, principal: role('pillbox-feat-x-scheduler'), session: offTheBox('feat-x') });
    it('may terminate a box of its environment', async () => {
      const verdict = await asScheduler({ action: 'ec2:TerminateInstances', resource: instance('i-0feat'), context: resourceTags(pillboxTags('feat-x')), via: '' });
      expect(verdict.result).to.equal('Allowed');
    });
    const attempts: [string, IamRequest][] = [
      ['terminate another environment\'s box', { action: 'ec2:TerminateInstances', resource: instance('i-0main'), context: resourceTags(pillboxTags('main')), via: '' }],
      ['read its environment\'s secrets', { action: 'ssm:GetParameter', resource: parameter('/pillbox/feat-x/secrets/POSTGRES_PASSWORD'), context: {}, via: '' }],
      ['read its environment\'s backups', { action: 's3:GetObject', resource: object('envs/feat-x/backups/x.dump'), context: {}, via: '' }],
      ['switch credits on its own box', { action: 'ec2:ModifyInstanceCreditSpecification', resource: instance('i-0feat'), context: resourceTags(pillboxTags('feat-x')), via: '' }],
    ];
    for (const [what, request] of attempts) {
      it(`cannot ${what}`, async () => {
        expect((await asScheduler(request)).result).to.not.equal('Allowed');
      });
    }
  });

  it('denies a role whose Env tag is not the environment in its name (a branch tagging its own role Env=main)', async () => {
    const verdict = await evaluate(
      { action: 'ssm:GetParameter', resource: parameter('/pillbox/main/secrets/POSTGRES_PASSWORD'), context: {}, via: '' },
      { identity: [everything], boundary, principal: role('pillbox-feat-x-instance'), session: onTheBox('main') },
    );
    expect(verdict.result).to.equal('ExplicitlyDenied');
  });

  it('grants nothing in IAM or STS and no wildcard action; its denials only narrow', () => {
    const allows = boundary.Statement.filter((s) => s.Effect === 'Allow');
    expect(allows.flatMap((s) => list(s.Action)).filter((a) => /^(iam|sts):|\*/.test(a))).to.deep.equal([]);
    expect(boundary.Statement.filter((s) => s.Effect === 'Deny').map((s) => s.Sid)).to.deep.equal(['OnlyOnEc2Instances', 'SchedulerRolesOnlyTerminate', 'EnvTagIsTheRoleName']);
  });

  it('matches its roles in every partition (arn:*:iam::), so no condition on the principal silently never applies', () => {
    const principals = boundary.Statement.flatMap((s) => Object.values(s.Condition ?? {}).flatMap((pairs) => list(pairs['aws:PrincipalArn'])));
    expect(principals.length).to.equal(4);
    for (const arn of principals) expect(arn).to.match(/^arn:\*:iam::\*:role\/pillbox-(\*|\$\{aws:PrincipalTag\/Env\})-(instance|scheduler)$/);
  });

  it('is the policy the CLI names as the boundary, and the setup guide creates it under that name with the bucket filled in', () => {
    const setup = readFileSync(`${root}docs/aws-setup.md`, 'utf8');
    expect(setup).to.include(`sed "s/${BUCKET_PLACEHOLDER}/pillbox-$ACCOUNT-$REGION/g" docs/permissions-boundary.json > permissions-boundary.json`);
    expect(setup).to.include(`--policy-name ${BOUNDARY_POLICY} --policy-document file://permissions-boundary.json`);
  });
});
