import { expect } from 'chai';
import { resourceFit, type ResourceFit } from '../../../scripts/lib/doctor/action-resources.js';
import { parsePolicyDocument, policyActionNames, simulationScopes, type PolicyDocument } from '../../../scripts/lib/doctor/policy-scopes.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';

const target = { partition: 'aws', account: '123456789012', region: 'eu-west-1', variables: { 'aws:userid': 'AROAEXAMPLE:ana' } };
const fitsAll: ResourceFit = () => true;
const policy = (...Statement: object[]): PolicyDocument => parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement }), 'test.json');

describe('doctor: what to ask the policy simulator', () => {
  describe('reading the documented policy', () => {
    it('takes one action or a list, and condition values written as booleans', () => {
      const doc = policy({ Effect: 'Allow', Action: 'ec2:DescribeVpcs', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': true } } });
      expect(doc.Statement[0]?.Action).to.deep.equal(['ec2:DescribeVpcs']);
      expect(doc.Statement[0]?.Condition).to.deep.equal({ Bool: { 'aws:SecureTransport': ['true'] } });
    });

    it('refuses a file that is not a policy, naming it', () => {
      expect(() => parsePolicyDocument('{"Version":"2012-10-17","Statement":[{"Action":"x"}]}', 'docs/p.json')).to.throw(OperatorError, /^docs\/p\.json is not an IAM policy document: Statement\.0\.Effect/);
      expect(() => parsePolicyDocument('{', 'docs/p.json')).to.throw(OperatorError, /^docs\/p\.json is not valid JSON/);
    });

    it('lists every allowed action once, in the order written', () => {
      const doc = policy({ Effect: 'Allow', Action: ['ec2:RunInstances', 'ec2:CreateTags'], Resource: '*' }, { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' }, { Effect: 'Deny', Action: 'iam:CreateUser', Resource: '*' });
      expect(policyActionNames(doc)).to.deep.equal(['ec2:RunInstances', 'ec2:CreateTags']);
    });
  });

  describe('one request per statement', () => {
    it('asks about `*` where the statement says `*`, in the region the box is in', () => {
      const [scope, ...rest] = simulationScopes(policy({ Sid: 'DescribeOnly', Effect: 'Allow', Action: ['ec2:DescribeVpcs', 'ssm:GetCommandInvocation'], Resource: '*' }), target, fitsAll);
      expect(rest).to.deep.equal([]);
      expect(scope).to.deep.equal({
        sid: 'DescribeOnly',
        actions: ['ec2:DescribeVpcs', 'ssm:GetCommandInvocation'],
        context: [{ ContextKeyName: 'aws:RequestedRegion', ContextKeyValues: ['eu-west-1'], ContextKeyType: 'string' }],
      });
    });

    it('fills the partition, region and account of each resource, and leaves AWS-owned ones without an account', () => {
      const [scope] = simulationScopes(
        policy({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: ['arn:aws:ssm:*:*:parameter/pillbox/*', 'arn:aws:ssm:*::parameter/aws/service/ami-amazon-linux-latest/*'] }),
        { ...target, partition: 'aws-us-gov', region: 'us-gov-west-1' },
        fitsAll,
      );
      expect(scope?.sid).to.equal('statement 1');
      expect(scope?.resources).to.deep.equal(['arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/pillbox/*', 'arn:aws-us-gov:ssm:us-gov-west-1::parameter/aws/service/ami-amazon-linux-latest/*']);
    });

    it('supplies the context the conditions test: single values, sets for ForAllValues, booleans', () => {
      const [scope] = simulationScopes(
        policy({
          Effect: 'Allow',
          Action: 'ec2:CreateTags',
          Resource: 'arn:aws:ec2:*:*:instance/*',
          Condition: {
            StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateSecurityGroup'], 'aws:ResourceTag/ManagedBy': 'pillbox' },
            'ForAllValues:StringEquals': { 'aws:TagKeys': ['ExpiresAt'] },
            BoolIfExists: { 'aws:SecureTransport': 'true' },
          },
        }),
        target,
        fitsAll,
      );
      expect(scope?.context).to.deep.equal([
        { ContextKeyName: 'ec2:CreateAction', ContextKeyValues: ['RunInstances'], ContextKeyType: 'string' },
        { ContextKeyName: 'aws:ResourceTag/ManagedBy', ContextKeyValues: ['pillbox'], ContextKeyType: 'string' },
        { ContextKeyName: 'aws:TagKeys', ContextKeyValues: ['ExpiresAt'], ContextKeyType: 'stringList' },
        { ContextKeyName: 'aws:SecureTransport', ContextKeyValues: ['true'], ContextKeyType: 'boolean' },
        { ContextKeyName: 'aws:RequestedRegion', ContextKeyValues: ['eu-west-1'], ContextKeyType: 'string' },
      ]);
    });

    it('fills policy variables from the caller and supplies the variable too; skips keys it cannot fill and negated operators', () => {
      const [scope] = simulationScopes(
        policy({
          Effect: 'Allow',
          Action: 'ssm:TerminateSession',
          Resource: 'arn:aws:ssm:*:*:session/*',
          Condition: {
            StringLike: { 'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}', 'aws:PrincipalTag/team': '${aws:PrincipalTag/unknown}' },
            StringNotEquals: { 'aws:ResourceTag/Env': 'prod' },
          },
        }),
        target,
        fitsAll,
      );
      expect(scope?.context.map((e) => [e.ContextKeyName, e.ContextKeyValues])).to.deep.equal([
        ['ssm:resourceTag/aws:ssmmessages:session-id', ['AROAEXAMPLE:ana']],
        ['aws:userid', ['AROAEXAMPLE:ana']],
        ['aws:RequestedRegion', ['eu-west-1']],
      ]);
    });

    it('does not put a region on IAM, which is global', () => {
      const [scope] = simulationScopes(
        policy({ Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::*:role/pillbox-*-instance', Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } }),
        target,
        fitsAll,
      );
      expect(scope?.resources).to.deep.equal(['arn:aws:iam::123456789012:role/pillbox-*-instance']);
      expect(scope?.context).to.deep.equal([{ ContextKeyName: 'iam:PassedToService', ContextKeyValues: ['ec2.amazonaws.com'], ContextKeyType: 'string' }]);
    });

    it('asks about each action only on the resources it acts on, and about `*` when it acts on none of them', async () => {
      const doc = policy({
        Sid: 'ChangePillboxResources',
        Effect: 'Allow',
        Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup', 'ec2:TerminateInstances', 'ec2:DescribeInstances'],
        Resource: ['arn:aws:ec2:*:*:instance/*', 'arn:aws:ec2:*:*:security-group/*', 'arn:aws:ec2:*:*:security-group-rule/*'],
      });
      const scopes = simulationScopes(doc, target, await resourceFit(policyActionNames(doc)));
      const arn = (type: string) => `arn:aws:ec2:eu-west-1:123456789012:${type}/*`;
      expect(scopes.map((s) => [s.actions, s.resources])).to.deep.equal([
        [['ec2:AuthorizeSecurityGroupIngress'], [arn('security-group'), arn('security-group-rule')]],
        [['ec2:DeleteSecurityGroup'], [arn('security-group')]],
        [['ec2:TerminateInstances'], [arn('instance')]],
        [['ec2:DescribeInstances'], undefined],
      ]);
    });
  });

  describe('which resources an action acts on (the IAM service reference)', () => {
    it('matches resource types by their ARN shape, wildcards included', async () => {
      const fit = await resourceFit(['ec2:RunInstances', 'iam:PassRole', 'ssm:GetParameter']);
      expect(fit('ec2:RunInstances', 'arn:aws:ec2:eu-west-1:123456789012:volume/*')).to.equal(true);
      expect(fit('ec2:RunInstances', 'arn:aws:ec2:eu-west-1::image/*')).to.equal(true);
      expect(fit('iam:PassRole', 'arn:aws:iam::123456789012:instance-profile/pillbox-*-instance')).to.equal(false);
      expect(fit('iam:PassRole', 'arn:aws:iam::123456789012:role/pillbox-*-instance')).to.equal(true);
      expect(fit('ssm:GetParameter', 'arn:aws:ssm:eu-west-1::parameter/aws/service/ami-amazon-linux-latest/*')).to.equal(true);
    });

    it('lets an action it does not know act on anything, rather than ask nothing about it', async () => {
      const fit = await resourceFit(['ec2:LaunchRockets']);
      expect(fit('ec2:LaunchRockets', 'arn:aws:ec2:eu-west-1:123456789012:instance/*')).to.equal(true);
    });
  });
});
