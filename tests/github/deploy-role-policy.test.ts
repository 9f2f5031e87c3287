// The deploy role's policy (docs/deploy-role-policy.json) must allow exactly what the CLI
// in scripts/ calls (and the AWS CLI commands the runbook gives the operator): a new AWS
// call without a policy line fails here, not in a pipeline. What each request may do, with
// its resources and context, is evaluated in deploy-role-simulation.test.ts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isWildcardOnlyAction } from '@cloud-copilot/iam-simulate';
import { expect } from 'chai';
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
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const policy = JSON.parse(readFileSync(`${root}docs/deploy-role-policy.json`, 'utf8')) as { Version: string; Statement: Statement[] };
const list = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);
const allows = policy.Statement.filter((s) => s.Effect === 'Allow');

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

  describe('docs/deploy-role-policy.json', () => {
    it('allows every AWS call the CLI makes, and nothing it does not make', () => {
      const uses = cliUses();
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

    it('reaches only the project buckets, and their objects only under envs/', () => {
      for (const statement of allows.filter((s) => list(s.Action).some((a) => a.startsWith('s3:')))) {
        for (const resource of list(statement.Resource)) expect(resource, statement.Sid).to.match(/^arn:aws:s3:::pillbox-\*(\/envs\/\*)?$/);
      }
    });

    it('passes the instance roles only to EC2 and the schedule roles only to the scheduler', () => {
      const passing = allows.filter((s) => list(s.Action).includes('iam:PassRole'));
      expect(passing.map((s) => [list(s.Resource), s.Condition])).to.deep.equal([
        [['arn:aws:iam::*:role/pillbox-*-instance'], { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }],
        [['arn:aws:iam::*:role/pillbox-*-scheduler'], { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }],
      ]);
    });

    it('grants IAM only under the pillbox role and profile names (and reading the boundary policy)', () => {
      for (const statement of allows.filter((s) => list(s.Action).some((a) => a.startsWith('iam:')))) {
        for (const resource of list(statement.Resource).filter((r) => r.startsWith('arn:aws:iam:'))) {
          expect(resource, statement.Sid).to.match(/^arn:aws:iam::\*:(role\/pillbox-\*-(instance|scheduler)|instance-profile\/pillbox-\*-instance|policy\/pillbox-boundary)$/);
        }
      }
    });

    it('writes roles only with the pillbox boundary, and never edits or removes a boundary', () => {
      const boundary = 'arn:aws:iam::${aws:PrincipalAccount}:policy/pillbox-boundary';
      const writing = allows.filter((s) => list(s.Action).some((a) => ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:AttachRolePolicy'].includes(a)));
      expect(writing.map((s) => s.Condition)).to.deep.equal([{ StringEquals: { 'iam:PermissionsBoundary': boundary } }]);
      const denied = policy.Statement.filter((s) => s.Effect === 'Deny').flatMap((s) => list(s.Action));
      expect(denied).to.include.members(['iam:DeleteRolePermissionsBoundary', 'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion']);
    });

    it('changes or terminates only instances and security groups tagged ManagedBy=pillbox', () => {
      const destructive = ['ec2:TerminateInstances', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupIngress', 'ssm:SendCommand'];
      for (const statement of allows.filter((s) => list(s.Action).some((a) => destructive.includes(a)))) {
        const onDocuments = list(statement.Resource).every((r) => r.includes(':document/'));
        if (onDocuments) continue;
        expect(statement.Condition?.StringEquals?.['aws:ResourceTag/ManagedBy'], statement.Sid).to.equal('pillbox');
      }
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

    it('keeps parameters under /pillbox/ (and the public AMI parameter, read-only)', () => {
      for (const statement of allows.filter((s) => list(s.Action).some((a) => /^ssm:\w*Parameter/.test(a)))) {
        for (const resource of list(statement.Resource)) {
          expect(resource).to.match(/^arn:aws:ssm:\*:\*:parameter\/pillbox(\/\*)?$|^arn:aws:ssm:\*::parameter\/aws\/service\/ami-amazon-linux-latest\/\*$/);
        }
      }
    });

    it('explains every statement in docs/aws-setup.md', () => {
      const setup = readFileSync(`${root}docs/aws-setup.md`, 'utf8');
      expect(policy.Statement.map((s) => s.Sid).filter((sid) => !setup.includes(`\`${sid}\``))).to.deep.equal([]);
    });

    // IAM quotas (reference_iam-quotas): a role's inline policies may total 10,240 characters and an
    // Identity Center permission set's inline policy 32,768; whitespace does not count.
    it("fits the 10,240-character limit of a role's inline policies", () => {
      expect(JSON.stringify(policy).length).to.be.below(10240);
    });
  });
});
