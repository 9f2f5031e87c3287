// The operator's own permissions against what the CLI needs: IAM's policy simulator
// (SimulatePrincipalPolicy) evaluates the caller's identity policies, permissions boundary
// and organization SCPs for every statement of the documented policy. Session policies and
// resource policies are not part of that simulation.
import { paginateSimulatePrincipalPolicy, type EvaluationResult, type IAMClient } from '@aws-sdk/client-iam';
import { bucketName } from '../aws/bucket-keys.js';
import { withAccountValues } from '../aws/cli-policy.js';
import { isGone } from '../core/aws-errors.js';
import { resourceFit } from './action-resources.js';
import { CHECK, fail, ok, warn, type CheckResult } from './check.js';
import type { CallerIdentity } from './credentials.js';
import { simulationScopes, policyActionNames, type PolicyDocument, type SimulationScope } from './policy-scopes.js';
import { iamDenied, principalOf, roleOfSession, type PolicySource } from './principal.js';

/** What a person running the CLI holds (the CI role's docs/deploy-role-policy.json is its feat-* subset). */
export const POLICY_FILE = 'docs/operator-policy.json';
const ATTACH = `docs/aws-setup.md, step 4`;

export type DenialCause = 'not granted' | 'explicit deny' | 'permissions boundary' | 'organization SCP';

export interface Denial {
  action: string;
  /** The documented statement that needs it. */
  sid: string;
  cause: DenialCause;
  /** Context keys the caller's policies test that the doctor could not supply: the answer may differ in real use. */
  missingContext: string[];
}

function denialCause(result: EvaluationResult): DenialCause | undefined {
  if (result.EvalDecision === 'allowed') return undefined;
  if (result.OrganizationsDecisionDetail?.AllowedByOrganizations === false) return 'organization SCP';
  if (result.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary === false) return 'permissions boundary';
  return result.EvalDecision === 'explicitDeny' ? 'explicit deny' : 'not granted';
}

/** With resources given, IAM lists missing keys per resource instead of at the top. */
const missingContext = (result: EvaluationResult): string[] => [
  ...new Set([...(result.MissingContextValues ?? []), ...(result.ResourceSpecificResults ?? []).flatMap((r) => r.MissingContextValues ?? [])]),
];

/** One simulation per documented statement, each read to its last page (Marker / IsTruncated). */
async function simulate(iam: IAMClient, source: string, scopes: SimulationScope[]): Promise<Denial[]> {
  const denials: Denial[] = [];
  for (const scope of scopes) {
    const input = {
      PolicySourceArn: source,
      ActionNames: scope.actions,
      ...(scope.resources ? { ResourceArns: scope.resources } : {}),
      ...(scope.context.length > 0 ? { ContextEntries: scope.context } : {}),
    };
    for await (const page of paginateSimulatePrincipalPolicy({ client: iam }, input)) {
      for (const result of page.EvaluationResults ?? []) {
        const cause = denialCause(result);
        if (cause) denials.push({ action: result.EvalActionName ?? '?', sid: scope.sid, cause, missingContext: missingContext(result) });
      }
    }
  }
  return denials;
}

/** `ec2: RunInstances, CreateTags; iam: PassRole`, each action once. */
function byService(actions: string[]): string {
  const groups = new Map<string, string[]>();
  for (const action of new Set(actions)) {
    const [service = '', name = action] = action.split(':');
    groups.set(service, [...(groups.get(service) ?? []), name]);
  }
  return [...groups].map(([service, names]) => `${service}: ${names.join(', ')}`).join('; ');
}

function deniedResult(denials: Denial[], total: number, source: string): CheckResult {
  const actions = (cause?: DenialCause) => denials.filter((d) => !cause || d.cause === cause).map((d) => d.action);
  const unique = new Set(actions()).size;
  const unsure = [...new Set(denials.flatMap((d) => d.missingContext))];
  const detail = `${unique} of ${total} actions the CLI needs are denied for ${source}: ${byService(actions())}${unsure.length > 0 ? ` (the answer depends on ${unsure.join(', ')}, which the doctor cannot supply)` : ''}`;
  const fixes: string[] = [];
  if (actions('not granted').length > 0) fixes.push(`Attach ${POLICY_FILE} to ${source} (${ATTACH}; for an IAM Identity Center role, to its permission set).`);
  if (actions('explicit deny').length > 0) fixes.push(`A Deny statement in your policies blocks ${byService(actions('explicit deny'))}: ask whoever wrote it.`);
  if (actions('permissions boundary').length > 0) fixes.push(`Your permissions boundary blocks ${byService(actions('permissions boundary'))}: ask an administrator to widen it.`);
  if (actions('organization SCP').length > 0) fixes.push(`An organization SCP blocks ${byService(actions('organization SCP'))}: ask the organization's administrator.`);
  const data = { principal: source, denied: denials };
  // Denials that hinge on context the doctor cannot know are worth a warning, not a stop.
  return denials.every((d) => d.missingContext.length > 0) ? warn(CHECK.permissions, detail, fixes.join(' '), data) : fail(CHECK.permissions, detail, fixes.join(' '), data);
}

export interface PermissionsInput {
  iam: IAMClient;
  identity: CallerIdentity;
  region: string;
  policy: PolicyDocument;
  /** The region's default VPC, filled in where the policy says DEFAULT_VPC_ID, as the setup guide does (the bucket's name always is). */
  defaultVpcId?: string;
}

async function policySource(iam: IAMClient, callerArn: string): Promise<PolicySource | CheckResult> {
  const principal = principalOf(callerArn);
  switch (principal.kind) {
    case 'entity':
      return { arn: principal.arn, pathGuessed: false };
    case 'role-session':
      return roleOfSession(iam, principal);
    case 'root':
      return warn(
        CHECK.permissions,
        `account ${principal.account}'s root user may do everything`,
        `Run pillbox as an IAM Identity Center role or an IAM user with ${POLICY_FILE} attached (${ATTACH}), not as root.`,
      );
    case 'other':
      return warn(CHECK.permissions, `not evaluated: IAM cannot simulate ${principal.what} (${principal.arn})`, `Compare your permissions with ${POLICY_FILE}, or run the doctor as an IAM role or user.`);
  }
}

export async function checkPermissions({ iam, identity, region, policy: documented, defaultVpcId }: PermissionsInput): Promise<CheckResult> {
  const source = await policySource(iam, identity.arn);
  if ('status' in source) return source;
  const policy = withAccountValues(documented, { bucket: bucketName(identity.account, region), ...(defaultVpcId ? { vpcId: defaultVpcId } : {}) });
  const partition = identity.arn.split(':')[1] ?? 'aws';
  const target = { partition, account: identity.account, region, variables: { 'aws:userid': identity.userId, 'aws:principalaccount': identity.account } };
  const scopes = simulationScopes(policy, target, await resourceFit(policyActionNames(policy)));
  let denials: Denial[];
  try {
    denials = await simulate(iam, source.arn, scopes);
  } catch (err) {
    if (iamDenied(err)) {
      return warn(
        CHECK.permissions,
        `not evaluated: ${source.arn} may not call iam:SimulatePrincipalPolicy on itself`,
        `Ask an administrator to allow it (or to run the doctor), or compare your permissions with ${POLICY_FILE} by hand.`,
      );
    }
    if (isGone(err)) {
      const why = source.pathGuessed ? ' (iam:GetRole was denied, so the role path was a guess)' : '';
      return warn(CHECK.permissions, `not evaluated: IAM has no ${source.arn}${why}`, 'Allow iam:GetRole on your own role so the doctor can read its path, or ask an administrator to run the doctor.');
    }
    throw err;
  }
  const total = policyActionNames(policy).length;
  if (denials.length > 0) return deniedResult(denials, total, source.arn);
  return ok(CHECK.permissions, `all ${total} actions in ${POLICY_FILE} allowed for ${source.arn}`, { principal: source.arn, denied: [] });
}
