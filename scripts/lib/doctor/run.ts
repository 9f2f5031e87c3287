// `npm run doctor`: every check in order. Local tools need nothing from AWS and always
// run; the AWS checks need a region and working credentials, and are reported as skipped
// without them rather than failing for the same reason three more times.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import { checkBoundary, checkEbsDefaultKey, checkSessionPreferences } from './account-guardrails.js';
import { CHECK, guarded, skipped, type CheckResult } from './check.js';
import { checkCredentials, checkRegion } from './credentials.js';
import { checkDefaultVpc } from './default-vpc.js';
import { checkInstanceType } from './instance-type.js';
import { checkLocalTools, type LocalTools } from './local-tools.js';
import { checkPermissions } from './permissions.js';
import type { PolicyDocument } from './policy-scopes.js';

export interface DoctorDeps extends LocalTools {
  /** The region the SDK clients resolve (flag, AWS_REGION, profile). */
  region: () => Promise<string | undefined>;
  sts: STSClient;
  ec2: EC2Client;
  iam: IAMClient;
  ssm: SSMClient;
  /** For the default EBS key's KeyManager and KeyState. */
  kms: KMSClient;
  /** The documented policy: what the CLI needs. */
  policy: PolicyDocument;
}

export interface DoctorSettings {
  instanceType: string;
}

const AFTER_CREDENTIALS = [CHECK.defaultVpc, CHECK.instanceType, CHECK.permissions, CHECK.boundary, CHECK.ebsKey, CHECK.sessionPreferences];

export async function runDoctor(deps: DoctorDeps, settings: DoctorSettings): Promise<CheckResult[]> {
  const local = await checkLocalTools(deps);
  const { result: regionResult, region } = await checkRegion(deps.region);
  if (!region) return [...local, regionResult, ...[CHECK.credentials, ...AFTER_CREDENTIALS].map((name) => skipped(name, 'needs a region'))];

  const { result: credentialsResult, identity } = await checkCredentials(deps.sts);
  if (!identity) return [...local, regionResult, credentialsResult, ...AFTER_CREDENTIALS.map((name) => skipped(name, 'needs working credentials'))];

  // The permissions are asked with the default VPC the policy is pinned to, so that check goes first.
  const [vpc, instanceType] = await Promise.all([guarded(CHECK.defaultVpc, () => checkDefaultVpc(deps.ec2, region)), guarded(CHECK.instanceType, () => checkInstanceType(deps.ec2, region, settings.instanceType))]);
  const defaultVpcId = (vpc.data as { vpcId?: string } | undefined)?.vpcId;
  const rest = await Promise.all([
    guarded(CHECK.permissions, () => checkPermissions({ iam: deps.iam, identity, region, policy: deps.policy, ...(defaultVpcId ? { defaultVpcId } : {}) })),
    guarded(CHECK.boundary, () => checkBoundary(deps.iam, { accountId: identity.account, partition: identity.arn.split(':')[1] })),
    guarded(CHECK.ebsKey, () => checkEbsDefaultKey(deps.ec2, deps.kms)),
    guarded(CHECK.sessionPreferences, () => checkSessionPreferences(deps.ssm)),
  ]);
  return [...local, regionResult, credentialsResult, vpc, instanceType, ...rest];
}
