// Evaluates one IAM request against policies with @cloud-copilot/iam-simulate (AGPL-3.0,
// used by the tests only; nothing of it ships): identity policies, an optional permissions
// boundary, no SCPs. The verdict keeps the context keys the simulator ignored, because a
// key that does not apply to the action (or is misspelt) is dropped silently, and a test
// must not pass on a condition that was never evaluated.
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { IamRequest } from './iam-requests.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/pillbox-deploy`;
/** The caller's unique id as AWS puts it in aws:userid for an assumed role. */
export const DEPLOY_USER_ID = 'AROAEXAMPLEDEPLOYROLE:github-actions';

export interface Policies {
  identity: object[];
  boundary?: object;
  /** The resource's own policy (a KMS key policy: KMS allows nothing its key policy does not). */
  resource?: object;
  principal?: string;
  /** Keys AWS sets from the principal's session (aws:PrincipalTag/Env, aws:Ec2InstanceSourceVpc, ...). */
  session?: Record<string, string>;
}

export interface Verdict {
  result: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';
  ignoredContextKeys: string[];
}

/**
 * AWS-owned SSM documents and public parameters have no account in their ARN
 * (`arn:aws:ssm:eu-west-1::document/AWS-RunShellScript`), which the simulator cannot match
 * to a resource type. The same literal account in request and policies keeps the match
 * exactly as it was: an empty account is matched only by an empty account or a wildcard.
 */
const AWS_OWNED_SSM = /arn:aws:ssm:([^:"]*)::/g;
const ownedByAws = <T>(value: T): T => JSON.parse(JSON.stringify(value).replace(AWS_OWNED_SSM, 'arn:aws:ssm:$1:aws:')) as T;

/** Keys AWS sets on every request from the principal (the simulator fills in none by itself). */
const principalContext = (principal: string) => ({ 'aws:PrincipalAccount': ACCOUNT, 'aws:PrincipalArn': principal, 'aws:userid': DEPLOY_USER_ID });

export async function evaluate(request: IamRequest, policies: Policies): Promise<Verdict> {
  const principal = policies.principal ?? DEPLOY_ROLE;
  const out = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: ownedByAws(request.resource), accountId: ACCOUNT },
        contextVariables: { ...principalContext(principal), ...policies.session, ...request.context },
      },
      identityPolicies: policies.identity.map((policy, n) => ({ name: `identity-${n}`, policy: ownedByAws(policy) })),
      ...(policies.boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: ownedByAws(policies.boundary) }] } : {}),
      ...(policies.resource ? { resourcePolicy: policies.resource } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (out.resultType === 'error') throw new Error(`${request.action} on ${request.resource}: ${JSON.stringify(out.errors)}`);
  const ignored = out.resultType === 'single' ? (out.result.ignoredContextKeys ?? []) : out.results.flatMap((r) => r.ignoredContextKeys ?? []);
  return { result: out.overallResult as Verdict['result'], ignoredContextKeys: [...new Set(ignored)] };
}
