// The region and the caller the SDK's default chain resolves to (AWS_PROFILE, SSO,
// environment keys, AWS_REGION, the profile's region, --region). Every AWS check needs both.
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { regionSchema } from '../core/config.js';
import { awsErrorName } from '../core/aws-errors.js';
import { CHECK, fail, failedWith, ok, type CheckResult } from './check.js';

export interface RegionOutcome {
  result: CheckResult;
  /** Set only when the region is usable. */
  region?: string;
}

const SET_REGION = 'Set AWS_REGION (e.g. AWS_REGION=eu-west-1), a region in your AWS profile, or pass --region.';

/**
 * No region at all and a region the SDK refuses are different mistakes: the first is a
 * missing setting, the second a wrong one (a typo in AWS_REGION, a broken profile).
 */
export async function checkRegion(resolve: () => Promise<string | undefined>): Promise<RegionOutcome> {
  let region: string | undefined;
  try {
    region = await resolve();
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    if (!/region is missing/i.test(message)) {
      return { result: fail(CHECK.region, `The AWS region could not be resolved: ${message}`, 'Set --region or AWS_REGION to a region name such as eu-west-1, or fix the region in your AWS profile.') };
    }
  }
  if (!region) return { result: fail(CHECK.region, 'No AWS region configured', SET_REGION) };
  if (!regionSchema.safeParse(region).success) {
    return { result: fail(CHECK.region, `"${region}" is not an AWS region name`, 'Set --region or AWS_REGION to a region name such as eu-west-1.') };
  }
  return { result: ok(CHECK.region, region), region };
}

export interface CallerIdentity {
  account: string;
  /** The STS ARN: a user, an assumed-role session, the root user or a federated user. */
  arn: string;
  /** `aws:userid`, e.g. `AROA…:session` for a role session. */
  userId: string;
}

export interface CredentialsOutcome {
  result: CheckResult;
  identity?: CallerIdentity;
}

/** The SSO credential provider says "run aws sso login" when its token has lapsed. */
const ssoSessionExpired = (err: unknown): boolean => {
  const message = err instanceof Error ? err.message : '';
  return awsErrorName(err) === 'CredentialsProviderError' && (/aws sso login/i.test(message) || (/\bSSO\b/.test(message) && /expired/i.test(message)));
};

/** GetCallerIdentity needs no permission, so it fails only on the credentials themselves (or the endpoint). */
export async function checkCredentials(sts: STSClient): Promise<CredentialsOutcome> {
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    if (!out.Account || !out.Arn || !out.UserId) return { result: fail(CHECK.credentials, 'STS answered without an account or ARN', 'This is unexpected; report it with this line.') };
    return { result: ok(CHECK.credentials, `account ${out.Account} as ${out.Arn}`), identity: { account: out.Account, arn: out.Arn, userId: out.UserId } };
  } catch (err) {
    if (ssoSessionExpired(err)) {
      return { result: fail(CHECK.credentials, 'The AWS SSO session has expired', 'Run `aws sso login` (with --profile for the profile in AWS_PROFILE), then run the doctor again.') };
    }
    return { result: failedWith(CHECK.credentials, err) };
  }
}
