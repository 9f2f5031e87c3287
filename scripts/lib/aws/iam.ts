// The roles pillbox creates (the instance role, the expiry schedule's role) and the instance
// profile: created once per environment, policies rewritten on every provision so they
// converge, removed in the order IAM requires. Every role carries the permissions boundary
// docs/permissions-boundary.json, which an administrator creates once (docs/aws-setup.md, step 4):
// the deploy role may create roles only with it, so no branch can mint itself an admin role.
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  paginateListAttachedRolePolicies,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  type IAMClient,
  GetPolicyCommand,
} from '@aws-sdk/client-iam';
import { envNames, type Tag } from '../core/names.js';
import { awsErrorName, ignoreGone } from '../core/aws-errors.js';
import { OperatorError } from '../core/operator-error.js';
import type { ObservedEnvironment } from './environment.js';
import { instancePolicy, trustPolicy, type PolicyDocument, type PolicyScope } from './instance-policy.js';

/** The managed policy every pillbox role is bounded by (docs/permissions-boundary.json). */
export const BOUNDARY_POLICY = 'pillbox-boundary';

export const boundaryArn = ({ accountId, partition = 'aws' }: Pick<PolicyScope, 'accountId' | 'partition'>): string =>
  `arn:${partition}:iam::${accountId}:policy/${BOUNDARY_POLICY}`;

const missingBoundary = (arn: string) =>
  new OperatorError(
    `The permissions boundary ${arn} does not exist; every role pillbox creates must carry it.`,
    `An administrator creates it once: \`aws iam create-policy --policy-name ${BOUNDARY_POLICY} --policy-document file://docs/permissions-boundary.json\` (docs/aws-setup.md, step 4).`,
  );

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

/**
 * Creates the role with its boundary; a role that already exists (an older CLI made it
 * without one, or a crashed run) gets the boundary put on it, so every role converges.
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
