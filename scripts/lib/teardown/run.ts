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
import { deleteInstanceProfile, deleteRole } from '../aws/iam.js';
import { terminateInstances } from '../aws/instance.js';
import { withLock } from '../aws/lock.js';
import { deleteParameters } from '../aws/secrets.js';
import { deleteSecurityGroup, type RetryOptions } from '../aws/security-group.js';
import { resolveRegion, type AwsClients } from '../core/aws-clients.js';
import type { Clock } from '../core/clock.js';
import { envFilters, envNames, ownerTags, TAG, tagValue } from '../core/names.js';
import { errorSummary, OperatorError } from '../core/operator-error.js';
import type { Progress } from '../core/progress.js';
import { isMutating, type Step } from '../core/step.js';
import { observeData, removeData } from './data.js';
import { DEFAULT_DATA_OPTIONS, planDataTeardown, type DataOptions } from './data-plan.js';
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

/** `fromBranch`: the name is the git branch's slug, not one the operator gave. */
export async function teardownEnvironment(env: string, deps: TeardownDeps, data: DataOptions = DEFAULT_DATA_OPTIONS, fromBranch = false): Promise<TeardownResult> {
  const { clients, progress } = deps;
  const storage = await projectStorage(clients, deps.s3);
  const look = async () => {
    const [seen, stored] = await Promise.all([observeEnvironment(clients, env), observeData(storage, env)]);
    return { seen, stored, ...planDataTeardown(seen, stored, data) };
  };
  const first = await progress.step(`look for environment ${env}`, look);
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
    const backup = now.before[0] ? await backupBeforeChange(clients.ssm, now.before[0].name, 'teardown', progress, deps.clock) : undefined;
    // The final backup added objects: what the bucket keeps is known only now.
    const stored = backup ? await observeData(storage, env) : now.stored;
    const after = planDataTeardown(now.seen, stored, data).after;
    await remove(now.seen, deps);
    await removeData(storage, after, stored, progress);
    return { env, removed: [...planTeardown(now.seen), ...after.filter(isMutating)], aborted: false, finalBackup: backup, kept: after.filter((s) => !isMutating(s)), bucket: storage.bucket };
  }, deps.clock.now);
}

/**
 * Environments past their ExpiresAt. Instances say so first; a security group's tag counts
 * only when no live instance exists (a provision that crashed before launching, or a box
 * that already removed itself), since a re-provision keeps the group with its first tag.
 */
export async function findExpiredEnvironments(clients: AwsClients, now: number): Promise<string[]> {
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
  return [...expired].sort();
}

export interface SweepResult {
  results: TeardownResult[];
  failures: { env: string; reason: string }[];
}

/**
 * Tears down every environment named, one after another, each after its final backup
 * when its box answers. One that fails (its lock held, a group still in use, AWS refusing,
 * a backup that fails) does not stop the others: later expired boxes would go on billing.
 * The failures come back with the results.
 */
export async function teardownEach(envs: readonly string[], deps: TeardownDeps, data: DataOptions = DEFAULT_DATA_OPTIONS): Promise<SweepResult> {
  const sweep: SweepResult = { results: [], failures: [] };
  for (const env of envs) {
    try {
      sweep.results.push(await teardownEnvironment(env, deps, data));
    } catch (err) {
      const reason = errorSummary(err);
      deps.progress.note(`✖ ${env}: ${reason}`);
      sweep.failures.push({ env, reason });
    }
  }
  return sweep;
}

/** `--all-expired`: every environment past its ExpiresAt, as the clock reads now; `--prefix` keeps those whose name starts with it. */
export async function teardownExpired(deps: TeardownDeps, data: DataOptions = DEFAULT_DATA_OPTIONS, prefix = ''): Promise<SweepResult> {
  const envs = await deps.progress.step('look for expired environments', () => findExpiredEnvironments(deps.clients, deps.clock.now()));
  return teardownEach(
    envs.filter((env) => env.startsWith(prefix)),
    deps,
    data,
  );
}

/** Exit status 1 for a sweep with failures, naming each one. */
export function sweepFailure({ failures }: SweepResult): OperatorError | undefined {
  if (failures.length === 0) return undefined;
  return new OperatorError(
    `Teardown failed for ${failures.length} environment(s): ${failures.map((f) => `${f.env} (${f.reason})`).join('; ')}`,
    'The others were removed. Fix what each message names and run the same command again; it picks up what is left.',
  );
}
