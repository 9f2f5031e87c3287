// What environments left in the region, found by tag and name rather than through an instance
// or a security group: provision makes the roles, the instance profile, the parameters, the
// lock and the scheduler role before the group, so a run that died early leaves only these.
// Each service answers where it can:
// - parameters and the lock: the Resource Groups Tagging API (GetResources, paged by
//   PaginationToken, at most 100 a page, and a page may come back short or empty);
// - roles and instance profiles: IAM's own lists (GetResources does not return IAM roles,
//   supported-services.html; ListRoles and ListInstanceProfiles return no tags, so each
//   candidate's tags are read apart). IAM is global, so a role is counted in the region its
//   policy names (the scheduler role's trust, the instance role's inline policy), never here
//   by default;
// - expiry schedules: only schedule groups take tags (Scheduler TagResource), so a schedule is
//   matched by its name and the environment's role it acts through.
// A thing counts only when its name is the one pillbox derives AND its tags say pillbox made it
// for that environment: a look-alike name without the tags, or the tags on another name, stays.
import { paginateListInstanceProfiles, paginateListInstanceProfileTags, paginateListRoles, paginateListRoleTags, GetRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { paginateGetResources, type ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetScheduleCommand, paginateListSchedules, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { AwsClients } from '../core/aws-clients.js';
import { ignoreGone } from '../core/aws-errors.js';
import { envNames, PROJECT, TAG, tagValue } from '../core/names.js';
import { expiryNames } from './expiry-schedule.js';

export type LeftoverKind = 'parameter' | 'lock' | 'role' | 'instance-profile' | 'scheduler-role' | 'schedule';

export interface Leftover {
  env: string;
  kind: LeftoverKind;
  name: string;
  /** Its ExpiresAt tag (a schedule: when it fires); undefined when it carries none (teardown's own lock). */
  expiresAt?: Date;
  /** Where it belongs: the region searched for regional things; for IAM's, the region its policy names, if any. */
  region?: string;
}

type Tags = { Key?: string; Value?: string }[] | undefined;

/** An environment name as names.ts makes them, in a capture group. */
const ENV = '([a-z][a-z0-9-]{0,23})';
const ROLE_NAME = new RegExp(`^${PROJECT}-${ENV}-(instance|scheduler)$`);
const PROFILE_NAME = new RegExp(`^${PROJECT}-${ENV}-instance$`);
const PARAMETER_NAME = new RegExp(`^/${PROJECT}/${ENV}/`);
const SCHEDULE_NAME = new RegExp(`^${PROJECT}-${ENV}-expiry-i-[0-9a-f]+$`);

/** Project, ManagedBy and Env as pillbox writes them for this environment. */
const ours = (tags: Tags, env: string): boolean => tagValue(tags, TAG.project) === PROJECT && tagValue(tags, TAG.managedBy) === PROJECT && tagValue(tags, TAG.env) === env;

const expiryOf = (tags: Tags): Date | undefined => {
  const at = Date.parse(tagValue(tags, TAG.expiresAt) ?? '');
  return Number.isNaN(at) ? undefined : new Date(at);
};

/** The region an IAM policy document (URL-encoded, as IAM returns it) names for `service`. */
const regionIn = (document: string | undefined, service: string): string | undefined =>
  new RegExp(`:${service}:([a-z0-9-]+):`).exec(decodeURIComponent(document ?? ''))?.[1];

/** Parameters (the lock among them) carrying the project's tags, from the tagging API. */
export async function taggedParameters(tagging: ResourceGroupsTaggingAPIClient, region: string, prefix = ''): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const input = {
    TagFilters: [
      { Key: TAG.project, Values: [PROJECT] },
      { Key: TAG.managedBy, Values: [PROJECT] },
    ],
    ResourceTypeFilters: ['ssm:parameter'],
    ResourcesPerPage: 100,
  };
  for await (const page of paginateGetResources({ client: tagging }, input)) {
    for (const mapping of page.ResourceTagMappingList ?? []) {
      // arn:<partition>:ssm:<region>:<account>:parameter/pillbox/<env>/...: the name's leading slash is not in the ARN.
      const name = `/${(mapping.ResourceARN ?? '').split(':parameter/')[1] ?? ''}`;
      const env = PARAMETER_NAME.exec(name)?.[1];
      if (!env || !env.startsWith(prefix) || !ours(mapping.Tags, env)) continue;
      found.push({ env, kind: name === envNames(env).lockParameter ? 'lock' : 'parameter', name, expiresAt: expiryOf(mapping.Tags), region });
    }
  }
  return found;
}

/** Every tag across a paged tag listing (IAM pages a role's or a profile's tags). */
async function allTags(pages: AsyncIterable<{ Tags?: NonNullable<Tags> }>): Promise<NonNullable<Tags>> {
  const tags: NonNullable<Tags> = [];
  for await (const page of pages) tags.push(...(page.Tags ?? []));
  return tags;
}

/** The instance role's region, from the ARNs of its inline policy; undefined before provision wrote one. */
export async function instanceRoleRegion(iam: IAMClient, env: string): Promise<string | undefined> {
  const n = envNames(env);
  const policy = await iam.send(new GetRolePolicyCommand({ RoleName: n.role, PolicyName: n.inlinePolicy })).catch(ignoreGone);
  return regionIn(policy?.PolicyDocument, 'ssm');
}

/** The environments' instance and scheduler roles, by name and tags, each with the region its policy names. */
export async function pillboxRoles(iam: IAMClient, prefix = ''): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for await (const page of paginateListRoles({ client: iam }, { PathPrefix: '/' })) {
    for (const role of page.Roles ?? []) {
      const [, env, kind] = ROLE_NAME.exec(role.RoleName ?? '') ?? [];
      if (!env || !env.startsWith(prefix) || role.Path !== '/') continue;
      const tags = await allTags(paginateListRoleTags({ client: iam }, { RoleName: role.RoleName }));
      if (!ours(tags, env)) continue;
      const region = kind === 'scheduler' ? regionIn(role.AssumeRolePolicyDocument, 'scheduler') : await instanceRoleRegion(iam, env);
      found.push({ env, kind: kind === 'scheduler' ? 'scheduler-role' : 'role', name: role.RoleName ?? '', expiresAt: expiryOf(tags), ...(region ? { region } : {}) });
    }
  }
  return found;
}

/** The environments' instance profiles, by name and tags; a profile names no region of its own. */
export async function pillboxProfiles(iam: IAMClient, prefix = ''): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for await (const page of paginateListInstanceProfiles({ client: iam }, { PathPrefix: '/' })) {
    for (const profile of page.InstanceProfiles ?? []) {
      const env = PROFILE_NAME.exec(profile.InstanceProfileName ?? '')?.[1];
      if (!env || !env.startsWith(prefix) || profile.Path !== '/') continue;
      const tags = await allTags(paginateListInstanceProfileTags({ client: iam }, { InstanceProfileName: profile.InstanceProfileName }));
      if (ours(tags, env)) found.push({ env, kind: 'instance-profile', name: profile.InstanceProfileName ?? '', expiresAt: expiryOf(tags) });
    }
  }
  return found;
}

/** Expiry schedules by name, kept only when they act through the environment's own scheduler role. */
export async function pillboxSchedules(scheduler: SchedulerClient, region: string, prefix = ''): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for await (const page of paginateListSchedules({ client: scheduler }, { NamePrefix: `${PROJECT}-${prefix}` })) {
    for (const summary of page.Schedules ?? []) {
      const env = SCHEDULE_NAME.exec(summary.Name ?? '')?.[1];
      if (!env || !env.startsWith(prefix)) continue;
      const schedule = await scheduler.send(new GetScheduleCommand({ Name: summary.Name })).catch(ignoreGone);
      if (!schedule?.Target?.RoleArn?.endsWith(`:role/${expiryNames(env).role}`)) continue;
      const at = /^at\((.+)\)$/.exec(schedule.ScheduleExpression ?? '')?.[1];
      found.push({ env, kind: 'schedule', name: summary.Name ?? '', ...(at ? { expiresAt: new Date(`${at}Z`) } : {}), region });
    }
  }
  return found;
}

/** Every leftover of every environment (whose name starts with `prefix`) this region can see. */
export async function findLeftovers(clients: Pick<AwsClients, 'iam' | 'scheduler' | 'tagging'>, region: string, prefix = ''): Promise<Leftover[]> {
  const found = await Promise.all([
    taggedParameters(clients.tagging, region, prefix),
    pillboxRoles(clients.iam, prefix),
    pillboxProfiles(clients.iam, prefix),
    pillboxSchedules(clients.scheduler, region, prefix),
  ]);
  return found.flat();
}
