// The roles pillbox creates (the instance role, the expiry schedule's role) and the instance
// profile: created once per environment, policies rewritten on every provision so they
// converge, removed in the order IAM requires. Every role carries the permissions boundary
// docs/permissions-boundary.json, which an administrator creates once (docs/aws-setup.md, step 2):
// the deploy role may create roles only with it, so no branch can mint itself an admin role.
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  paginateListAttachedRolePolicies,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  type IAMClient,
  GetPolicyCommand,
} from '@aws-sdk/client-iam';
import { isDeepStrictEqual } from 'node:util';
import { envNames, TAG, type Tag } from '../core/names.js';
import { awsErrorName, ignoreGone } from '../core/aws-errors.js';
import { OperatorError } from '../core/operator-error.js';
import type { ObservedEnvironment } from './environment.js';
import { instancePolicy, trustPolicy, type PolicyDocument, type PolicyScope } from './instance-policy.js';

/** The managed policy every pillbox role is bounded by (docs/permissions-boundary.json). */
export const BOUNDARY_POLICY = 'pillbox-boundary';

export const boundaryArn = ({ accountId, partition = 'aws' }: Pick<PolicyScope, 'accountId' | 'partition'>): string =>
  `arn:${partition}:iam::${accountId}:policy/${BOUNDARY_POLICY}`;

/** How the boundary comes to exist: the fix both provision and the doctor give. */
export const CREATE_BOUNDARY_HINT = `An administrator creates it once from docs/permissions-boundary.json with the project bucket's name filled in: \`aws iam create-policy --policy-name ${BOUNDARY_POLICY} --policy-document file://permissions-boundary.json\` (docs/aws-setup.md, step 2).`;

const missingBoundary = (arn: string) => new OperatorError(`The permissions boundary ${arn} does not exist; every role pillbox creates must carry it.`, CREATE_BOUNDARY_HINT);

/** Provision checks this before creating anything: without the boundary it would stop at CreateRole, after the bucket and the upload. */
export async function assertBoundaryExists(iam: IAMClient, scope: Pick<PolicyScope, 'accountId' | 'partition'>): Promise<void> {
  const arn = boundaryArn(scope);
  try {
    await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchEntityException') throw missingBoundary(arn);
    throw err;
  }
}

export interface RoleSpec {
  name: string;
  trust: PolicyDocument;
  description: string;
  tags: Tag[];
  /** The boundary policy's ARN. */
  boundary: string;
}

const envTag = (tags: { Key?: string; Value?: string }[] | undefined) => tags?.find((t) => t.Key === TAG.env)?.Value;

/**
 * Why an existing role of that name is not the one pillbox would have made, or undefined.
 * Role names are unique in the account whatever the path, so a role at another path, with
 * another trust or another Env tag may be someone's attempt to take over the name.
 */
async function foreignRole(iam: IAMClient, spec: RoleSpec): Promise<string | undefined> {
  const { Role: role } = await iam.send(new GetRoleCommand({ RoleName: spec.name }));
  if (role?.Path !== '/') return `is at the path ${role?.Path ?? '(none)'}, not /`;
  // IAM returns the trust URL-encoded (RFC 3986).
  const trust: unknown = JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument ?? 'null'));
  if (!isDeepStrictEqual(trust, JSON.parse(JSON.stringify(spec.trust)))) return 'has a trust policy other than the one pillbox writes';
  if (envTag(role.Tags) !== envTag(spec.tags)) return `is tagged ${TAG.env}=${envTag(role.Tags) ?? '(none)'}, not ${envTag(spec.tags)}`;
  return undefined;
}

/**
 * Creates the role with its boundary; a role that already exists (an older CLI made it
 * without one, or a crashed run) gets the boundary put on it, so every role converges —
 * unless it is not pillbox's to converge (foreignRole), which stops with the fix.
 */
export async function ensureRole(iam: IAMClient, spec: RoleSpec): Promise<void> {
  const explain = (err: unknown): never => {
    if (['NoSuchEntityException', 'PolicyNotAttachableException'].includes(awsErrorName(err))) throw missingBoundary(spec.boundary);
    throw err;
  };
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: spec.name,
        AssumeRolePolicyDocument: JSON.stringify(spec.trust),
        Description: spec.description,
        Tags: spec.tags,
        PermissionsBoundary: spec.boundary,
      }),
    );
  } catch (err) {
    if (awsErrorName(err) !== 'EntityAlreadyExistsException') explain(err);
    const foreign = await foreignRole(iam, spec);
    if (foreign) {
      const env = envTag(spec.tags) ?? '<env>';
      throw new OperatorError(
        `The IAM role ${spec.name} already exists and ${foreign}: it is not the role pillbox makes, so provision will not use it.`,
        `With operator credentials, see who made it (\`aws iam get-role --role-name ${spec.name}\`); \`npm run teardown -- --env ${env}\` removes it with its policies (an old pillbox role, or one made to take the name), then provision again.`,
      );
    }
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: spec.name, PermissionsBoundary: spec.boundary })).catch(explain);
  }
}

const ignore =
  (...names: string[]) =>
  (err: unknown): void => {
    if (!names.includes(awsErrorName(err))) throw err;
  };

export async function createRole(iam: IAMClient, env: string, tags: Tag[], scope: Pick<PolicyScope, 'accountId' | 'partition'>): Promise<void> {
  await ensureRole(iam, {
    name: envNames(env).role,
    trust: trustPolicy(),
    description: `pillbox ${env} instance: SSM agent and its own parameters`,
    tags,
    boundary: boundaryArn(scope),
  });
}

/**
 * The boundary first: a role kept from an older version may lack it, and the deploy role
 * may write the policy of a bounded role only.
 */
export async function putInstancePolicy(iam: IAMClient, scope: PolicyScope): Promise<void> {
  const n = envNames(scope.env);
  await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: n.role, PermissionsBoundary: boundaryArn(scope) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: n.role, PolicyName: n.inlinePolicy, PolicyDocument: JSON.stringify(instancePolicy(scope)) }));
}

export async function createInstanceProfile(iam: IAMClient, env: string, tags: Tag[], existing: ObservedEnvironment['instanceProfile']): Promise<void> {
  const n = envNames(env);
  if (!existing) {
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: n.instanceProfile, Tags: tags })).catch(ignore('EntityAlreadyExistsException'));
  }
  if (!existing?.roles.includes(n.role)) {
    // LimitExceeded: the profile already holds its one role (a concurrent run added it).
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: n.instanceProfile, RoleName: n.role })).catch(ignore('LimitExceededException'));
  }
}

export async function deleteInstanceProfile(iam: IAMClient, profile: NonNullable<ObservedEnvironment['instanceProfile']>): Promise<void> {
  for (const role of profile.roles) {
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: profile.name, RoleName: role })).catch(ignoreGone);
  }
  await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: profile.name })).catch(ignoreGone);
}

/** IAM refuses to delete a role that still has policies, so those go first. */
export async function deleteRole(iam: IAMClient, role: NonNullable<ObservedEnvironment['role']>): Promise<void> {
  for (const policy of role.inlinePolicies) {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: role.name, PolicyName: policy })).catch(ignoreGone);
  }
  const attached: string[] = [];
  try {
    for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: role.name })) attached.push(...(page.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''));
  } catch (err) {
    ignoreGone(err);
  }
  for (const arn of attached) {
    await iam.send(new DetachRolePolicyCommand({ RoleName: role.name, PolicyArn: arn })).catch(ignoreGone);
  }
  await iam.send(new DeleteRoleCommand({ RoleName: role.name })).catch(ignoreGone);
}
