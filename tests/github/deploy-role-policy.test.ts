// The deploy role's policy (docs/deploy-role-policy.json) must allow exactly what the CLI
// in scripts/ calls: a new AWS call without a policy line fails here, not in a pipeline.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  actionsInSource,
  comparePolicy,
  policyActions,
  sdkWaiterResolver,
  typescriptFiles,
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

function cliUses(): ActionUse[] {
  return typescriptFiles(`${root}scripts`).flatMap((file) => actionsInSource(readFileSync(file, 'utf8'), relative(root, file), resolveWaiter));
}

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

    it('uses no wildcard actions and allows only', () => {
      for (const statement of policy.Statement) {
        expect(statement.Effect, statement.Sid).to.equal('Allow');
        for (const action of list(statement.Action)) expect(action, statement.Sid).to.match(/^[a-z0-9]+:[A-Za-z]+$/);
      }
    });

    it('grants "*" resources only to actions without resource-level permissions', () => {
      const unscoped = policy.Statement.filter((s) => list(s.Resource).includes('*')).flatMap((s) => list(s.Action));
      for (const action of unscoped) expect(action).to.match(/^(ec2|ssm):(Describe|GetCommandInvocation$)/);
    });

    it('reaches only the project buckets, and their objects only under envs/', () => {
      for (const statement of policy.Statement.filter((s) => list(s.Action).some((a) => a.startsWith('s3:')))) {
        for (const resource of list(statement.Resource)) expect(resource, statement.Sid).to.match(/^arn:aws:s3:::pillbox-\*(\/envs\/\*)?$/);
      }
    });

    it('passes only the pillbox instance roles, and only to EC2', () => {
      const passing = policy.Statement.filter((s) => list(s.Action).includes('iam:PassRole'));
      expect(passing).to.have.length(1);
      expect(list(passing[0]!.Resource)).to.deep.equal(['arn:aws:iam::*:role/pillbox-*-instance']);
      expect(passing[0]!.Condition).to.deep.equal({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    });

    it('touches IAM only under the pillbox-<env>-instance names', () => {
      for (const statement of policy.Statement.filter((s) => list(s.Action).some((a) => a.startsWith('iam:')))) {
        for (const resource of list(statement.Resource)) expect(resource).to.match(/^arn:aws:iam::\*:(role|instance-profile)\/pillbox-\*-instance$/);
      }
    });

    it('changes or terminates only instances and security groups tagged ManagedBy=pillbox', () => {
      const destructive = ['ec2:TerminateInstances', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupIngress', 'ssm:SendCommand'];
      for (const statement of policy.Statement.filter((s) => list(s.Action).some((a) => destructive.includes(a)))) {
        const onDocuments = list(statement.Resource).every((r) => r.includes(':document/'));
        if (onDocuments) continue;
        expect(statement.Condition?.StringEquals?.['aws:ResourceTag/ManagedBy'], statement.Sid).to.equal('pillbox');
      }
    });

    it('tags only while creating, or moves ExpiresAt on a pillbox instance', () => {
      for (const statement of policy.Statement.filter((s) => list(s.Action).includes('ec2:CreateTags'))) {
        const whileCreating = statement.Condition?.StringEquals?.['ec2:CreateAction'];
        const keys = statement.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'];
        expect(whileCreating ?? keys, statement.Sid).to.not.equal(undefined);
        if (!whileCreating) {
          expect(keys, statement.Sid).to.deep.equal(['ExpiresAt']);
          expect(statement.Condition?.StringEquals?.['aws:ResourceTag/ManagedBy'], statement.Sid).to.equal('pillbox');
        }
      }
    });

    it('keeps parameters under /pillbox/ (and the public AMI parameter, read-only)', () => {
      for (const statement of policy.Statement.filter((s) => list(s.Action).some((a) => /^ssm:\w*Parameter/.test(a)))) {
        for (const resource of list(statement.Resource)) {
          expect(resource).to.match(/^arn:aws:ssm:\*:\*:parameter\/pillbox(\/\*)?$|^arn:aws:ssm:\*::parameter\/aws\/service\/ami-amazon-linux-latest\/\*$/);
        }
      }
    });

    it('fits the 6,144-character limit of a customer managed policy', () => {
      expect(JSON.stringify(policy).length).to.be.below(6144);
    });
  });
});
