// teardown: find everything of an environment (tags and deterministic names, so a crashed
// provision is covered), confirm, then remove it in dependency order under the lock.
// `--all-expired` goes through every expired environment, past any that fails; each takes
// its final backup first when its box answers.
import { paginateDescribeSecurityGroups } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import { projectStorage } from '../aws/bucket.js';
import { backupBeforeChange } from '../backup/run.js';
import { describeEnvironments, findInstances, listEnvironments, observeEnvironment, otherEnvironmentsHint, type ObservedEnvironment } from '../aws/environment.js';
import { releaseElasticIp } from '../aws/elastic-ip.js';
import { removeExpirySchedules } from '../aws/expiry-schedule.js';
import { refuseOtherHomeRegion } from '../aws/home-region.js';
import { deleteInstanceProfile, deleteRole } from '../aws/iam.js';
import { terminateInstances } from '../aws/instance.js';
import { findLeftovers, type Leftover } from '../aws/leftovers.js';
import { describeLock, lockSince, readLock, releaseLock, STALE_MS, withLock } from '../aws/lock.js';
import { deleteParameters } from '../aws/secrets.js';
import { deleteSecurityGroup, type RetryOptions } from '../aws/security-group.js';
import { resolveRegion, type AwsClients } from '../core/aws-clients.js';
import type { Clock } from '../core/clock.js';
import { envFilters, envNames, isoSeconds, ownerTags, TAG, tagValue } from '../core/names.js';
import { errorSummary, OperatorError } from '../core/operator-error.js';
import type { Progress } from '../core/progress.js';
import { isMutating, type Step } from '../core/step.js';
import { observeData, removeData } from './data.js';
import { DEFAULT_DATA_OPTIONS, planDataTeardown, type DataOptions } from './data-plan.js';
import { describeLeftovers, judgeOrphans, type OrphanVerdict } from './orphans.js';
import { planTeardown } from './plan.js';
import { teardownQuestion } from './summary.js';

/** How long teardown waits for the instances to terminate. */
export const TERMINATE_LIMIT_MS = 10 * 60_000;

export interface TeardownDeps {
  clients: AwsClients;
  s3: S3Client;
  progress: Progress;
  holder: string;
  clock: Clock;
  /** Asks the operator; resolves false to abort. */
  confirm: (question: string) => Promise<boolean>;
  sgRetry?: RetryOptions;
}

export interface TeardownResult {
  env: string;
  removed: Step[];
  aborted: boolean;
  /** The key of the final backup, when one was taken. */
  finalBackup?: string;
  /** What stays in the bucket (the backups, unless --delete-backups). */
  kept?: Step[];
  /** The project bucket, which stays: other environments use it. */
  bucket?: string;
  /** Nothing of the environment exists (never created, or removed with its backups); the ones that do, if any. */
  absent?: { others: string };
}

async function remove(seen: ObservedEnvironment, { clients, progress, clock, sgRetry }: TeardownDeps): Promise<void> {
  const n = envNames(seen.env);
  const ids = seen.instances.map((i) => i.id);
  if (ids.length > 0) await progress.step(`terminate ${ids.join(', ')} and wait`, (report) => terminateInstances(clients.ec2, ids, { clock, limitMs: TERMINATE_LIMIT_MS, report }));
  const address = seen.elasticIp;
  if (address) await progress.step(`release Elastic IP ${address.publicIp}`, () => releaseElasticIp(clients.ec2, address.allocationId));
  await progress.step('delete the expiry schedules and their role', () => removeExpirySchedules(clients, seen.env));
  const sg = seen.securityGroup;
  if (sg) await progress.step(`delete security group ${sg.id}`, () => deleteSecurityGroup(clients.ec2, sg.id, clock, sgRetry));
  const profile = seen.instanceProfile;
  if (profile) await progress.step(`delete instance profile ${profile.name}`, () => deleteInstanceProfile(clients.iam, profile));
  const role = seen.role;
  if (role) await progress.step(`delete role ${role.name}`, () => deleteRole(clients.iam, role));
  const params = seen.parameters.filter((p) => p !== n.lockParameter);
  if (params.length > 0) await progress.step(`delete ${params.length} parameter(s) under ${n.parameterPath}`, () => deleteParameters(clients.ssm, params));
}

/**
 * An environment of which nothing exists (no instance, group, role, parameter, schedule or backup):
 * it never existed, or went with its backups. Named with --env or PILLBOX_ENV, that is success and
 * says so with the environments that do exist (teardown converges, and CI may remove an environment
 * twice); a name taken from the git branch while others exist is almost surely the wrong one, and is
 * refused with them. Any trace at all is "already gone" instead, and removing it is success.
 */
async function absent(env: string, clients: AwsClients, fromBranch: boolean): Promise<TeardownResult> {
  const [envs, region] = await Promise.all([listEnvironments(clients.ec2), resolveRegion(clients)]);
  if (fromBranch && envs.size > 0) {
    throw new OperatorError(`Nothing of environment "${env}" (from the git branch) exists in ${region}; nothing was removed.`, otherEnvironmentsHint(env, region, envs));
  }
  return { env, removed: [], aborted: false, kept: [], absent: { others: describeEnvironments(envs) } };
}

/**
 * A sweep's environment is judged before its turn, and a provision may run in between (after a
 * slow backup of another box): under the lock, a box not past its ExpiresAt stops it.
 */
function refuseUnexpired(seen: ObservedEnvironment, now: number): void {
  const box = seen.instances.find((i) => !i.expiresAt || i.expiresAt.getTime() > now);
  if (!box) return;
  const at = box.expiresAt ? isoSeconds(box.expiresAt) : 'none';
  throw new OperatorError(
    `Environment "${seen.env}" has a box that has not expired (${box.id}, ExpiresAt ${at}): it was provisioned or extended after the sweep looked; nothing of it was removed.`,
    `Nothing to do: the next sweep judges it again. To remove it now: \`npm run teardown -- --env ${seen.env}\`.`,
  );
}

/**
 * `fromBranch`: the name is the git branch's slug, not one the operator gave. `sweep`: the
 * environment was found expired, so a box not past its ExpiresAt under the lock stops it.
 */
export async function teardownEnvironment(env: string, deps: TeardownDeps, data: DataOptions = DEFAULT_DATA_OPTIONS, fromBranch = false, sweep = false): Promise<TeardownResult> {
  const { clients, progress } = deps;
  const storage = await projectStorage(clients, deps.s3);
  const look = async () => {
    const [seen, stored] = await Promise.all([observeEnvironment(clients, env), observeData(storage, env)]);
    return { seen, stored, ...planDataTeardown(seen, stored, data) };
  };
  const first = await progress.step(`look for environment ${env}`, look);
  // Its role is global: deleting it here would take it from the box of the region it names.
  if (first.seen.role) await refuseOtherHomeRegion(clients.iam, env, await resolveRegion(clients), 'teardown');
  const kept = first.after.filter((s) => !isMutating(s));
  const planned = [...first.before, ...planTeardown(first.seen), ...first.after.filter(isMutating)];
  if (planned.length === 0) return kept.length > 0 ? { env, removed: [], aborted: false, kept } : absent(env, clients, fromBranch);
  const question = teardownQuestion(env, planned.filter((s) => s.action === 'delete'), storage.bucket, {
    backupFirst: first.before.length > 0,
    backupsGo: first.after.some((s) => s.resource === 'backups' && isMutating(s)),
  });
  if (!(await deps.confirm(question))) return { env, removed: [], aborted: true };

  const info = { holder: deps.holder, command: 'teardown', since: new Date(deps.clock.now()).toISOString() };
  return withLock(clients.ssm, env, info, ownerTags(env), async () => {
    // Look again under the lock: a provision may have finished meanwhile.
    const now = await look();
    if (sweep) refuseUnexpired(now.seen, deps.clock.now());
    const backup = now.before[0] ? await backupBeforeChange(clients.ssm, now.before[0].name, 'teardown', progress, deps.clock) : undefined;
    // The final backup added objects: what the bucket keeps is known only now.
    const stored = backup ? await observeData(storage, env) : now.stored;
    const after = planDataTeardown(now.seen, stored, data).after;
    await remove(now.seen, deps);
    await removeData(storage, after, stored, progress);
    return { env, removed: [...planTeardown(now.seen), ...after.filter(isMutating)], aborted: false, finalBackup: backup, kept: after.filter((s) => !isMutating(s)), bucket: storage.bucket };
  }, deps.clock.now);
}

/** Environments past their ExpiresAt by their instances and groups, and those with a live box that has not expired. */
async function byInstancesAndGroups(clients: AwsClients, now: number): Promise<{ expired: Set<string>; live: Set<string> }> {
  const expired = new Set<string>();
  const live = new Set<string>();
  for (const i of await findInstances(clients.ec2)) {
    if (i.expiresAt && i.expiresAt.getTime() <= now) expired.add(i.env);
    else live.add(i.env);
  }
  for await (const page of paginateDescribeSecurityGroups({ client: clients.ec2 }, { Filters: envFilters() })) {
    for (const g of page.SecurityGroups ?? []) {
      const env = tagValue(g.Tags, TAG.env);
      const at = Date.parse(tagValue(g.Tags, TAG.expiresAt) ?? '');
      if (env && !live.has(env) && !Number.isNaN(at) && at <= now) expired.add(env);
    }
  }
  for (const env of live) expired.delete(env);
  return { expired, live };
}

/**
 * Environments past their ExpiresAt. Instances say so first; a security group's tag counts
 * only when no live instance exists (a provision that crashed before launching, or a box
 * that already removed itself), since a re-provision keeps the group with its first tag.
 */
export async function findExpiredEnvironments(clients: AwsClients, now: number): Promise<string[]> {
  return [...(await byInstancesAndGroups(clients, now)).expired].sort();
}

export interface SweepTargets {
  /** Every environment to remove, by instance, group or leftovers. */
  envs: string[];
  /** What was found by tag of the environments with neither a live box nor an expired one, and whether each goes. */
  orphans: OrphanVerdict[];
  /** Why the search for leftovers failed, when it did (the envs are then those of instances and groups only). */
  searchFailed?: string;
}

/** The failure's name in a sweep's results when the search for leftovers failed. */
export const LEFTOVER_SEARCH = 'leftovers by tag';

/**
 * What the sweep removes: the expired environments by instance and group, and those that left
 * only what provision makes before the group (aws/leftovers.ts), once all of it has expired.
 */
export async function findSweepTargets(clients: AwsClients, now: number, prefix = ''): Promise<SweepTargets> {
  const [{ expired, live }, region] = await Promise.all([byInstancesAndGroups(clients, now), resolveRegion(clients)]);
  // The expired boxes bill: a search that fails (a policy without tag:GetResources yet, throttling) must not keep them.
  let leftovers: Leftover[] = [];
  let searchFailed: string | undefined;
  try {
    leftovers = await findLeftovers(clients, region, prefix);
  } catch (err) {
    searchFailed = errorSummary(err);
  }
  const orphans = judgeOrphans(leftovers, new Set([...live, ...expired]), region, now);
  const envs = new Set([...expired, ...orphans.filter((o) => o.expired).map((o) => o.env)]);
  return { envs: [...envs].filter((env) => env.startsWith(prefix)).sort(), orphans, ...(searchFailed ? { searchFailed } : {}) };
}

/**
 * A lock a dead run left on an environment the sweep removes: one taken over STALE_MS ago, as the
 * lock reads now (the rule `unlock` advises on). Its ExpiresAt from the tagging API is no evidence:
 * GetResources answers from an index of "tagged or previously tagged" resources, so a lock a new
 * provision just took can still show the dead one's tags. A younger lock stays, and that
 * environment's teardown then fails naming its holder.
 */
async function clearLeftLock({ clients, clock, progress }: TeardownDeps, env: string): Promise<void> {
  const held = await readLock(clients.ssm, env);
  if (!held) return;
  const since = lockSince(held);
  if (Number.isNaN(since) || clock.now() - since <= STALE_MS) return;
  await releaseLock(clients.ssm, env);
  progress.note(`${env}: removed the lock left by ${describeLock(held)}, over 2 hours old`);
}

export interface SweepResult {
  results: TeardownResult[];
  failures: { env: string; reason: string }[];
  /** Environments found by their leftovers alone (none for a sweep of named environments). */
  orphans?: OrphanVerdict[];
}

/**
 * Tears down every environment named, one after another, each after its final backup
 * when its box answers. One that fails (its lock held, a group still in use, AWS refusing,
 * a backup that fails) does not stop the others: later expired boxes would go on billing.
 * The failures come back with the results.
 */
export async function teardownEach(envs: readonly string[], deps: TeardownDeps, data: DataOptions = DEFAULT_DATA_OPTIONS, prepare?: (env: string) => Promise<void>): Promise<SweepResult> {
  const sweep: SweepResult = { results: [], failures: [] };
  for (const env of envs) {
    try {
      await prepare?.(env);
      sweep.results.push(await teardownEnvironment(env, deps, data, false, true));
    } catch (err) {
      const reason = errorSummary(err);
      deps.progress.note(`✖ ${env}: ${reason}`);
      sweep.failures.push({ env, reason });
    }
  }
  return sweep;
}

/**
 * `--all-expired`: every environment past its ExpiresAt, as the clock reads now, found by its
 * instances, its group or its leftovers by tag; `--prefix` keeps those whose name starts with it.
 * Each environment found by leftovers is printed with what was found and whether it goes.
 */
export async function teardownExpired(deps: TeardownDeps, data: DataOptions = DEFAULT_DATA_OPTIONS, prefix = ''): Promise<SweepResult> {
  const { envs, orphans, searchFailed } = await deps.progress.step('look for expired environments (instances, groups, leftovers by tag)', () => findSweepTargets(deps.clients, deps.clock.now(), prefix));
  for (const o of orphans) deps.progress.note(`${o.env}: found ${describeLeftovers(o.leftovers)}; ${o.kept ? `kept: ${o.kept}` : 'all past its ExpiresAt, removing'}`);
  const locked = new Set(orphans.filter((o) => o.expired && o.leftovers.some((l) => l.kind === 'lock')).map((o) => o.env));
  const sweep = await teardownEach(envs, deps, data, async (env) => {
    if (locked.has(env)) await clearLeftLock(deps, env);
  });
  if (searchFailed) {
    deps.progress.note(`✖ ${LEFTOVER_SEARCH}: ${searchFailed}`);
    sweep.failures.push({ env: LEFTOVER_SEARCH, reason: `${searchFailed}; environments with leftovers only were not judged` });
  }
  return { ...sweep, orphans };
}

/** Exit status 1 for a sweep with failures, naming each one. */
export function sweepFailure({ failures }: SweepResult): OperatorError | undefined {
  if (failures.length === 0) return undefined;
  return new OperatorError(
    `Teardown failed for ${failures.length} environment(s): ${failures.map((f) => `${f.env} (${f.reason})`).join('; ')}`,
    'The others were removed. Fix what each message names and run the same command again; it picks up what is left.',
  );
}
