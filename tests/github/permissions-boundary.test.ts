// docs/permissions-boundary.json caps every role the CLI creates. Evaluated: everything the
// instance role and the expiry schedule's role are given passes the boundary, and a role
// whose policy a branch rewrote to "*:*" still cannot reach past it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { schedulerPolicy } from '../../scripts/lib/aws/expiry-schedule.js';
import { BOUNDARY_POLICY } from '../../scripts/lib/aws/iam.js';
import { instancePolicy, type PolicyDocument } from '../../scripts/lib/aws/instance-policy.js';
import { pillboxTags, resourceTags, type IamRequest } from './iam-requests.js';
import { ACCOUNT, evaluate, REGION } from './iam-simulator.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const boundary = JSON.parse(readFileSync(`${root}docs/permissions-boundary.json`, 'utf8')) as PolicyDocument;
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

describe('permissions boundary (docs/permissions-boundary.json)', () => {
  const roles: [string, string, PolicyDocument][] = [
    ['instance role', 'pillbox-dev-instance', instancePolicy(scope)],
    ['expiry schedule role', 'pillbox-dev-scheduler', schedulerPolicy(scope)],
  ];

  for (const [name, roleName, policy] of roles) {
    it(`lets the ${name} do everything its policy grants`, async () => {
      const requests = grantedRequests(policy, name);
      expect(requests.length).to.be.above(0);
      for (const request of requests) {
        const verdict = await evaluate(request, { identity: [policy], boundary, principal: `arn:aws:iam::${ACCOUNT}:role/${roleName}` });
        expect(verdict, `${request.action} on ${request.resource}`).to.deep.equal({ result: 'Allowed', ignoredContextKeys: [] });
      }
    });
  }

  describe('caps a bounded role whose policy a branch rewrote to "*:*"', () => {
    const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    const instance = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
    const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
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
      ['read another application\'s parameters', { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/payroll/db-password`, context: {}, via: '' }],
      ['read any S3 object', { action: 's3:GetObject', resource: 'arn:aws:s3:::payroll-exports/2026.csv', context: {}, via: '' }],
      ['read project bucket objects outside envs/', { action: 's3:GetObject', resource: `arn:aws:s3:::pillbox-${ACCOUNT}-${REGION}/other/x`, context: {}, via: '' }],
      ['delete backups', { action: 's3:DeleteObject', resource: `arn:aws:s3:::pillbox-${ACCOUNT}-${REGION}/envs/dev/backups/x.dump`, context: {}, via: '' }],
      ['change the project bucket\'s policy', { action: 's3:PutBucketPolicy', resource: `arn:aws:s3:::pillbox-${ACCOUNT}-${REGION}`, context: {}, via: '' }],
    ];
    for (const [what, request] of attempts) {
      it(`cannot ${what}`, async () => {
        const verdict = await evaluate(request, { identity: [everything], boundary, principal: role('pillbox-dev-instance') });
        expect(verdict).to.deep.equal({ result: 'ImplicitlyDenied', ignoredContextKeys: [] });
      });
    }
  });

  it('grants nothing in IAM or STS and no wildcard action', () => {
    const actions = boundary.Statement.flatMap((s) => list(s.Action));
    expect(actions.filter((a) => /^(iam|sts):|\*/.test(a))).to.deep.equal([]);
    expect(boundary.Statement.every((s) => s.Effect === 'Allow')).to.equal(true);
  });

  it('is the policy the CLI names as the boundary, and the setup guide creates it under that name', () => {
    const setup = readFileSync(`${root}docs/aws-setup.md`, 'utf8');
    expect(setup).to.include(`--policy-name ${BOUNDARY_POLICY} --policy-document file://docs/permissions-boundary.json`);
  });
});
