// The instance role's documents. Not AmazonSSMManagedInstanceCore: that one reads every
// parameter in the account. This allows what the SSM agent needs for Session Manager and
// Run Command, plus reading the environment's own parameter path.
// SecureStrings use the AWS managed key aws/ssm, whose key policy already lets principals
// of the account decrypt through SSM, so no kms:Decrypt statement is needed.

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: { Sid?: string; Effect: 'Allow'; Action: string | string[]; Resource?: string | string[]; Principal?: { Service: string } }[];
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

export function instancePolicy({ env, region, accountId, partition = 'aws' }: PolicyScope): PolicyDocument {
  const base = `arn:${partition}:ssm:${region}:${accountId}:parameter/pillbox/${env}`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'SsmAgent', Effect: 'Allow', Action: SSM_AGENT_ACTIONS, Resource: '*' },
      // GetParametersByPath is authorised against the path itself, the others against each name.
      { Sid: 'OwnParameters', Effect: 'Allow', Action: PARAMETER_READ_ACTIONS, Resource: [base, `${base}/*`] },
    ],
  };
}
