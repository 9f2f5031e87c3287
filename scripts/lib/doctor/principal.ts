// Whose policies IAM's simulator reads for the caller STS reports. SimulatePrincipalPolicy takes
// IAM users, groups and roles only. A role session's STS ARN names its role without the role's
// path, and IAM Identity Center roles always have one (/aws-reserved/sso.amazonaws.com/…), so
// the path is read with iam:GetRole.
import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { awsErrorName } from '../core/aws-errors.js';

export type Principal =
  /** An IAM user (or role) ARN, usable as it is. */
  | { kind: 'entity'; partition: string; account: string; arn: string }
  | { kind: 'role-session'; partition: string; account: string; roleName: string }
  | { kind: 'root'; account: string }
  /** Federated users and anything else IAM cannot simulate. */
  | { kind: 'other'; arn: string; what: string };

const CALLER_ARN = /^arn:([^:]+):(iam|sts)::(\d{12}):(.+)$/;

export function principalOf(callerArn: string): Principal {
  const m = CALLER_ARN.exec(callerArn);
  if (!m) return { kind: 'other', arn: callerArn, what: 'an ARN the doctor does not recognise' };
  const [, partition = 'aws', service, account = '', resource = ''] = m;
  if (service === 'iam' && resource === 'root') return { kind: 'root', account };
  if (service === 'iam' && /^(user|role)\//.test(resource)) return { kind: 'entity', partition, account, arn: callerArn };
  const session = /^assumed-role\/([^/]+)\/.+$/.exec(resource);
  if (service === 'sts' && session?.[1]) return { kind: 'role-session', partition, account, roleName: session[1] };
  if (service === 'sts' && resource.startsWith('federated-user/')) return { kind: 'other', arn: callerArn, what: 'a federated user' };
  return { kind: 'other', arn: callerArn, what: 'an ARN the doctor does not recognise' };
}

/** IAM names its refusal `AccessDenied`; a few SDK paths say `AccessDeniedException`. */
export const iamDenied = (err: unknown): boolean => ['AccessDenied', 'AccessDeniedException'].includes(awsErrorName(err));

export interface PolicySource {
  arn: string;
  /** iam:GetRole was denied, so the ARN assumes the role has no path. */
  pathGuessed: boolean;
}

/** The role behind a session, with its path when the caller may read it. */
export async function roleOfSession(iam: IAMClient, session: Extract<Principal, { kind: 'role-session' }>): Promise<PolicySource> {
  const pathless = `arn:${session.partition}:iam::${session.account}:role/${session.roleName}`;
  try {
    const out = await iam.send(new GetRoleCommand({ RoleName: session.roleName }));
    return out.Role?.Arn ? { arn: out.Role.Arn, pathGuessed: false } : { arn: pathless, pathGuessed: true };
  } catch (err) {
    if (iamDenied(err)) return { arn: pathless, pathGuessed: true };
    throw err;
  }
}
