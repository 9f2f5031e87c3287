// The instance role's documents. Not AmazonSSMManagedInstanceCore: that one reads every
// parameter in the account. This allows what the SSM agent needs for Session Manager and
// Run Command, reading the environment's own parameter path, and reaching its own prefix of
// the project bucket.
// SecureStrings use the AWS managed key aws/ssm, whose key policy already lets principals
// of the account decrypt through SSM, so no kms:Decrypt statement is needed.
import { PROJECT, TAG } from '../core/names.js';
import { backupsPrefix, bucketName, envPrefix, KIND_TAG, sourcePrefix } from './bucket-keys.js';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: string | string[];
  Principal?: { Service: string };
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export const trustPolicy = (): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** The SSM agent's calls take no resource ARN, hence "*" for these only. */
export const SSM_AGENT_ACTIONS = [
  'ssm:UpdateInstanceInformation',
  'ssm:ListInstanceAssociations',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
];

export const PARAMETER_READ_ACTIONS = ['ssm:GetParametersByPath', 'ssm:GetParameters', 'ssm:GetParameter'];

export interface PolicyScope {
  env: string;
  region: string;
  accountId: string;
  partition?: string;
}

/** Instances of one environment, by the tags provision puts on them at launch. */
export const ownInstances = ({ env, region, accountId, partition = 'aws' }: PolicyScope) => ({
  Resource: `arn:${partition}:ec2:${region}:${accountId}:instance/*`,
  Condition: { StringEquals: { [`aws:ResourceTag/${TAG.env}`]: env, [`aws:ResourceTag/${TAG.managedBy}`]: PROJECT } },
});

export function instancePolicy(scope: PolicyScope): PolicyDocument {
  const { env, region, accountId, partition = 'aws' } = scope;
  const base = `arn:${partition}:ssm:${region}:${accountId}:parameter/pillbox/${env}`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'SsmAgent', Effect: 'Allow', Action: SSM_AGENT_ACTIONS, Resource: '*' },
      // GetParametersByPath is authorised against the path itself, the others against each name.
      { Sid: 'OwnParameters', Effect: 'Allow', Action: PARAMETER_READ_ACTIONS, Resource: [base, `${base}/*`] },
      ...bucketStatements({ env, region, accountId, partition }),
    ],
  };
}

/**
 * The box's reach into the project bucket: its own source archives (read), its own backups
 * (read, and write only with the backup kind tag the lifecycle rule expires; a tagged
 * PutObject also needs s3:PutObjectTagging), and listing inside its own prefix only.
 */
export function bucketStatements({ env, region, accountId, partition = 'aws' }: PolicyScope): PolicyStatement[] {
  const bucket = `arn:${partition}:s3:::${bucketName(accountId, region)}`;
  return [
    { Sid: 'ReadOwnSource', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucket}/${sourcePrefix(env)}*` },
    { Sid: 'ReadOwnBackups', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucket}/${backupsPrefix(env)}*` },
    {
      Sid: 'WriteOwnBackups',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:PutObjectTagging'],
      Resource: `${bucket}/${backupsPrefix(env)}*`,
      Condition: { StringEquals: { [`s3:RequestObjectTag/${KIND_TAG}`]: 'backup' } },
    },
    // The trailing slash keeps env "dev" out of "dev2"; a list without this prefix is denied.
    { Sid: 'ListOwnPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucket, Condition: { StringLike: { 's3:prefix': [`${envPrefix(env)}*`] } } },
  ];
}
