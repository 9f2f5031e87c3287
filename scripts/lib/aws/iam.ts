// The instance role and profile: created once per environment, policy rewritten on every
// provision so it converges, removed in the order IAM requires.
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  paginateListAttachedRolePolicies,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { envNames, type Tag } from '../core/names.js';
import { awsErrorName, ignoreGone } from '../core/aws-errors.js';
import type { ObservedEnvironment } from './environment.js';
import { instancePolicy, trustPolicy, type PolicyScope } from './instance-policy.js';

const ignore =
  (...names: string[]) =>
  (err: unknown): void => {
    if (!names.includes(awsErrorName(err))) throw err;
  };

export async function createRole(iam: IAMClient, env: string, tags: Tag[]): Promise<void> {
  await iam
    .send(
      new CreateRoleCommand({
        RoleName: envNames(env).role,
        AssumeRolePolicyDocument: JSON.stringify(trustPolicy()),
        Description: `pillbox ${env} instance: SSM agent and its own parameters`,
        Tags: tags,
      }),
    )
    .catch(ignore('EntityAlreadyExistsException'));
}

export async function putInstancePolicy(iam: IAMClient, scope: PolicyScope): Promise<void> {
  const n = envNames(scope.env);
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
