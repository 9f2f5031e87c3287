// provision: preflight (read-only), observe, plan, then, under the environment's lock,
// apply the plan in one place; a failure before a new instance exists undoes what this run
// created and names anything it could not remove. Then wait for the box with bounded,
// visible steps, seed its data, and only then retire a replaced box.
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { WEBHOOK_SECRET } from '../alerts/webhook.js';
import { allocateElasticIp, associateElasticIp, releaseElasticIp, type ElasticIp } from '../aws/elastic-ip.js';
import { callerAccount } from '../aws/caller.js';
import { bucketName } from '../aws/bucket-keys.js';
import { convergeBucket, storageFor, type Storage } from '../aws/bucket.js';
import { refuseOtherHomeRegion } from '../aws/home-region.js';
import { observeEnvironment, type EnvInstance, type ObservedEnvironment } from '../aws/environment.js';
import { armExpirySchedule, ensureSchedulerRole, expiryNames, schedulerRoleArn } from '../aws/expiry-schedule.js';
import { assertBoundaryExists, createInstanceProfile, createRole, deleteInstanceProfile, deleteRole, putInstancePolicy } from '../aws/iam.js';
import { assertInstanceTypeOffered, findByClientToken, launchInstance, requestTermination, resolveAmi, terminateInstances, type Ami, type LaunchOptions } from '../aws/instance.js';
import { withLock } from '../aws/lock.js';
import { createSecrets, deleteParameters, missingSecrets } from '../aws/secrets.js';
import { createSecurityGroup, deleteSecurityGroup, edgeIngress, findDefaultVpc, setIngress, type RetryOptions } from '../aws/security-group.js';
import { shippedSource, uploadSource, type ShippedSource } from '../aws/source-object.js';
import { backupBeforeChange } from '../backup/run.js';
import { readEdgeMode, type EdgeMode } from '../box/edge-certificate.js';
import { EDGE_LOCAL_PORT } from '../box/layout.js';
import { assertSecretFiles } from '../box/secret-files.js';
import { ssmRunner } from '../box/ssm-output.js';
import { edgeRangeCommand, parseRangeOutcome, type RangeOutcome } from '../box/edge-reload.js';
import { cheapestFullSetType, LOGS_PROFILE, stackProfiles } from '../box/stack-profiles.js';
import { renderCheckedUserData, type UserDataInput } from '../box/user-data.js';
import { resolveRegion, type AwsClients } from '../core/aws-clients.js';
import { awsErrorName, describeAwsError } from '../core/aws-errors.js';
import type { Clock } from '../core/clock.js';
import { throwIfInterrupted, type Interrupt } from '../core/interrupt.js';
import { resolveCommit, type GitRunner } from '../core/git.js';
import { baseTags, envNames, isoSeconds, TAG, type Tag } from '../core/names.js';
import { errorSummary, explainAwsError, OperatorError } from '../core/operator-error.js';
import { askOnTerminal } from '../core/confirm.js';
import { confirmLongLived, PREVIEW_MAX_HOURS } from '../core/long-lived.js';
import { costFor, hourlyCost, instanceTypeInfo, isAllowedInstanceType, surplusCeilingHourly, usd } from '../core/pricing.js';
import { formatUtc } from '../core/time.js';
import type { Progress } from '../core/progress.js';
import type { AddressLookup } from '../core/public-address.js';
import { buildSourceArchive, uncommittedWarning, type ArchiveRunner, type SourceArchive } from '../core/source-archive.js';
import type { Step } from '../core/step.js';
import { storageEstimate, type StorageEstimate } from '../core/storage-cost.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from '../deploy/plan.js';
import { moveExpiry } from '../extend/run.js';
import { restoreDatabase } from '../restore/run.js';
import { allowedCidrNotes, chooseAllowedCidr, type AllowedCidr } from './allowed-cidr.js';
import { agentAndCloudInitDeadline, LOOK, waitAgentOnline, waitAppReady, waitCloudInit, waitRunning, waitStackHealthy } from './boot-wait.js';
import { BOOT_STEPS_MIN, budgetText, PROVISION_MIN } from './budget.js';
import type { ProvisionConfig } from './config.js';
import { compareSettings, groupCidr, launchSettings, observeBox, replaceRefusal, type Drift, type LaunchSettings, type SettingChange } from './drift.js';
import { currentInstance, planProvision, twoBoxesRefusal } from './plan.js';
import { checkRestoreSource, observeStorage } from './storage.js';
import { planStorage, withData, type ObservedStorage } from './storage-plan.js';

export interface ProvisionDeps {
  clients: AwsClients;
  s3: S3Client;
  git: GitRunner;
  /** Makes the commit's `git archive`. */
  archive: ArchiveRunner;
  progress: Progress;
  clock: Clock;
  /** Unique per invocation: the RunInstances ClientToken derives from it. */
  runId: string;
  /** Who runs this (user@host), recorded in the lock. */
  holder: string;
  /** At a terminal and not --ci: the allowed range defaults to the operator's own address. */
  interactive: boolean;
  lookupAddress: AddressLookup;
  launch?: LaunchOptions;
  sgRetry?: RetryOptions;
  /** Hex ids for files on the box (a restore). */
  newId?: () => string;
  /** Asks the operator a yes/no question (a long-lived box); the terminal by default. */
  ask?: (question: string) => Promise<boolean>;
  /** Set while this run holds the environment's lock, so an interruption can say it stays behind. */
  lock?: { held: boolean };
  /** Aborted on SIGINT/SIGTERM (core/interrupt.ts): the run stops at once (waits included) and undoes what it made. */
  signal?: AbortSignal;
  /** A second signal ends the process: what it must still do first (release the lock), core/interrupt.ts. */
  onForcedExit?: Interrupt['onForcedExit'];
}

export interface Preflight {
  accountId: string;
  /** The credentials' partition (aws, aws-cn, aws-us-gov): every ARN provision builds is in it. */
  partition?: string;
  callerArn: string;
  region: string;
  gitSha: string;
  /** Uncommitted changes that do not ship, when the checked-out commit does. */
  uncommitted?: string;
  archive: SourceArchive;
  source: ShippedSource;
  vpcId: string;
  ami: Ami;
  expiresAt: Date;
  /** What the user-data says, but the allowed range and the profiles, which decide() picks (the range, and the type a launch gets). */
  userDataInput: Omit<UserDataInput, 'allowedCidr' | 'profiles'>;
  tags: Tag[];
}

export async function preflight(cfg: ProvisionConfig, deps: ProvisionDeps): Promise<Preflight> {
  const { clients, git } = deps;
  if (cfg.replace && cfg.noWait) {
    throw new OperatorError(
      '--replace keeps the old box serving until the new one is healthy, so it has to wait: it cannot be combined with --no-wait.',
      'Drop --no-wait (or tear the environment down and provision it afresh with --no-wait).',
    );
  }
  const region = await resolveRegion(clients);
  const caller = await callerAccount(clients.sts);
  const { accountId } = caller;
  await assertBoundaryExists(clients.iam, caller);
  await refuseOtherHomeRegion(clients.iam, cfg.env, region, 'provision');
  const gitSha = await resolveCommit(git, cfg.ref);
  await assertSecretFiles(git, gitSha);
  const archive = await buildSourceArchive(deps.archive, gitSha);
  const source = shippedSource(cfg.env, archive);
  // What a new box would get; a replacement may inherit a type the region already runs.
  const fresh = launchSettings(cfg);
  await assertInstanceTypeOffered(clients.ec2, fresh.instanceType, region);
  const [vpcId, ami] = await Promise.all([findDefaultVpc(clients.ec2), resolveAmi(clients.ssm, clients.ec2)]);
  const expiresAt = new Date(Math.floor(deps.clock.now() / 1000) * 1000 + fresh.ttlHours * 3_600_000);
  const userDataInput = { env: cfg.env, region, domain: cfg.domain, accountId, gitSha, source, expiresAt, appImage: cfg.appImage };
  return {
    accountId,
    partition: caller.partition,
    callerArn: caller.arn,
    region,
    gitSha,
    uncommitted: await uncommittedWarning(git, gitSha),
    archive,
    source,
    vpcId,
    ami,
    expiresAt,
    userDataInput,
    tags: baseTags({ env: cfg.env, expiresAt, gitSha }),
  };
}

export interface ProvisionResult {
  env: string;
  region: string;
  account: string;
  planned: boolean;
  steps: Step[];
  instanceId?: string;
  /** cloud-init's recoverable errors, when it finished with some (`cloud-init status` exit 2). */
  cloudInitWarnings?: string;
  /** What the box has (a kept one) or gets (a new one): type, root volume, allowed range. */
  instanceType: string;
  volumeGb?: number;
  allowedCidr: string;
  /** Each asked-for setting that differs from the running box, and how it changes. */
  changes: SettingChange[];
  /** --plan only: the one line provision would stop with (a new type or volume without --replace). */
  refused?: { message: string; hint: string };
  publicIp?: string;
  appUrl?: string;
  domain?: string;
  /** The environment's Elastic IP (environments with a domain): the DNS record's target. */
  elasticIp?: string;
  /** What the edge serves once the box is up: HTTPS with its certificate's expiry, or plain HTTP and why. */
  edge?: EdgeMode | { error: string };
  gitSha: string;
  source: { key: string; sha256: string; bytes: number };
  /** The project bucket and what the environment keeps in it, per month. */
  storage: StorageEstimate & { bucket: string; retentionDays: number; dumpBytes?: number };
  /** The backup taken of the box --replace terminated. */
  backedUp?: string;
  restored?: { key: string; rows: Record<string, number> };
  expiresAt: string;
  /** How long provision may take at most, and how that splits (budget.ts). */
  budgetMinutes: number;
  budget: string;
  hourlyUsd: number;
  ttlUsd: number;
  /** Whether Filebeat ships container logs; if not, the cheapest type that would, priced like the box. */
  containerLogs: { shipped: boolean; fullSet?: { instanceType: string; hourlyUsd: number; ttlUsd: number } };
  /** T-family only: what surplus CPU credits could add if the box never left unlimited mode. */
  creditCeiling?: { hourlyUsd: number; ttlUsd: number };
  /** Whether an alert destination is stored: without one the alert engine holds its alerts (retried for two days). */
  alertDestination: boolean;
  costSoFarUsd: number;
  waited: boolean;
  /** The box a --replace retired, once its successor was healthy. */
  replaced?: string;
}


/** What this run created, so a failure can undo exactly that. */
interface Created {
  role?: boolean;
  profile?: boolean;
  schedulerRole?: boolean;
  securityGroupId?: string;
  elasticIp?: string;
  secrets: string[];
}

/** Removes what this run created; returns what it could not remove, with why. */
async function undo(deps: ProvisionDeps, env: string, created: Created): Promise<string[]> {
  const { iam, ec2, ssm } = deps.clients;
  const n = envNames(env);
  const left: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      left.push(`${what} (${describeAwsError(err)})`);
    }
  };
  const address = created.elasticIp;
  if (address) await attempt(`Elastic IP ${address}`, () => releaseElasticIp(ec2, address));
  const sg = created.securityGroupId;
  if (sg) await attempt(`security group ${sg}`, () => deleteSecurityGroup(ec2, sg, deps.clock, deps.sgRetry));
  if (created.profile) await attempt(`instance profile ${n.instanceProfile}`, () => deleteInstanceProfile(iam, { name: n.instanceProfile, arn: '', roles: [n.role] }));
  if (created.role) await attempt(`role ${n.role}`, () => deleteRole(iam, { name: n.role, arn: '', inlinePolicies: [n.inlinePolicy] }));
  const scheduler = expiryNames(env);
  if (created.schedulerRole) await attempt(`role ${scheduler.role}`, () => deleteRole(iam, { name: scheduler.role, arn: '', inlinePolicies: [scheduler.policy] }));
  if (created.secrets.length > 0) {
    await attempt(`${created.secrets.length} secret(s) under ${n.secretsTree}`, () => deleteParameters(ssm, created.secrets.map((s) => n.secretParameter(s))));
  }
  return left;
}

export interface LaunchedBox {
  env: string;
  instanceId: string;
  hourlyUsd: number;
  expiresAt: Date;
}

/** A failure once the box exists: it runs and bills, so the operator learns which one, what it costs, and what next. */
function afterLaunch(err: unknown, box: LaunchedBox): OperatorError {
  const hint = err instanceof OperatorError ? err.hint : explainAwsError(err)?.hint;
  const env = box.env;
  return new OperatorError(
    `${errorSummary(err)}\nThe box ${box.instanceId} was launched and keeps running: ${usd(box.hourlyUsd)}/h until it expires at ${formatUtc(box.expiresAt)}.`,
    `${hint ? `${hint} ` : ''}Meanwhile \`npm run status -- --env ${env}\` shows it and \`npm run teardown -- --env ${env}\` removes it.`,
  );
}

/**
 * The successor serves and holds the data, but the old box could not be retired: both run and bill. A re-run keeps
 * the one its Replaces tag and the environment's address prove current and removes the other (plan.ts currentInstance).
 */
function unretired(err: unknown, boxes: { env: string; retiring: string; successor: string; keeps: string }): OperatorError {
  const hint = err instanceof OperatorError ? err.hint : explainAwsError(err)?.hint;
  return new OperatorError(
    `${errorSummary(err)}\nThe replacement ${boxes.successor} is healthy and holds the data, but ${boxes.retiring} could not be retired: both keep running.`,
    `${hint ? `${hint} ` : ''}Then run \`npm run provision -- --env ${boxes.env}\` again: it keeps ${boxes.keeps} and terminates the other.`,
  );
}

/** What this run created, by name, for an operator who must remove it. */
function createdNames(env: string, created: Created): string[] {
  const n = envNames(env);
  return [
    ...(created.elasticIp ? [`Elastic IP ${created.elasticIp}`] : []),
    ...(created.securityGroupId ? [`security group ${created.securityGroupId}`] : []),
    ...(created.profile ? [`instance profile ${n.instanceProfile}`] : []),
    ...(created.role ? [`role ${n.role}`] : []),
    ...(created.schedulerRole ? [`role ${expiryNames(env).role}`] : []),
    ...(created.secrets.length > 0 ? [`${created.secrets.length} secret(s) under ${n.secretsTree}`] : []),
  ];
}

/** The launch failed and EC2 could not be asked whether it made a box anyway: nothing is undone (a box may use the role). */
function unknownLaunch(err: unknown, env: string, region: string, created: Created, why: string): OperatorError {
  const made = createdNames(env, created);
  return new OperatorError(
    `${errorSummary(err)}\nWhether a box was launched anyway could not be checked (${why}), so nothing was undone${made.length ? `; this run made: ${made.join('; ')}` : ''}.`,
    `\`npm run status -- --env ${env} --region ${region}\` shows whether a box runs; \`npm run teardown -- --env ${env} --region ${region}\` removes everything, or run provision again to converge.`,
  );
}

/** The failure that stopped the run, plus what undoing it left behind (if anything). */
function withLeftovers(err: unknown, env: string, region: string, left: string[]): unknown {
  if (left.length === 0) return err;
  return new OperatorError(
    `${errorSummary(err)}\nUndoing this run left behind: ${left.join('; ')}.`,
    `Remove them with \`npm run teardown -- --env ${env} --region ${region}\` (it finds them by name and tag).`,
  );
}

/** What this run will do, worked out from what exists: the steps and the settings they use. */
interface Decision {
  steps: Step[];
  /** What the project bucket holds for this environment. */
  data: ObservedStorage;
  allowed: AllowedCidr;
  /** What a box this run launches gets. */
  launch: LaunchSettings;
  /** The optional compose profiles a launched box starts, from its type once decided (an inherited one included). */
  profiles: string[];
  /** Gzip-compressed cloud-config for a box this run launches (its range and profiles), as RunInstances sends it. */
  userData: Buffer;
  /** The running box against the asked-for settings, when there is one. */
  drift?: Drift;
  /** The running box this run keeps (none when it launches or replaces one). */
  kept?: EnvInstance;
  /** Whether `npm run alerts -- --webhook` has stored where the box's alerts go. */
  alertDestination: boolean;
}

/**
 * Reads the running box's settings, picks the allowed range, compares, and plans, with the
 * bucket's and the data's steps; a --restore naming a missing or partial backup stops here.
 */
async function decide(cfg: ProvisionConfig, pre: Preflight, seen: ObservedEnvironment, data: ObservedStorage, storage: Storage, deps: ProvisionDeps): Promise<Decision> {
  const unproven = twoBoxesRefusal(seen);
  if (unproven) throw unproven;
  const instance = currentInstance(seen);
  const box = instance ? await observeBox(deps.clients.ec2, instance, seen.securityGroup) : undefined;
  const allowed = await chooseAllowedCidr({ requested: cfg.allowedCidr, kept: groupCidr(seen.securityGroup), interactive: deps.interactive, lookup: deps.lookupAddress });
  for (const line of allowedCidrNotes(allowed)) deps.progress.note(line);
  const drift = box ? compareSettings(cfg, box, deps.clock.now(), cfg.replace) : undefined;
  const launch = launchSettings(cfg, box);
  const intent = { env: cfg.env, instanceType: launch.instanceType, allowedCidr: allowed.cidr, replace: cfg.replace, drift, domain: cfg.domain };
  const steps = withData(planProvision(intent, seen), planStorage(storage.bucket, pre.source, data), { env: cfg.env, noBackup: cfg.noBackup, restore: cfg.restore });
  await checkRestoreSource(storage, cfg.env, cfg.restore, steps);
  // Rendered and size-checked here, before anything is created: the box's edge enforces the range too, and the profiles
  // follow the type a launched box really gets (--replace inherits the old box's). A type outside the list (changed by
  // hand) gets none; RunInstances refuses it anyway.
  const profiles = isAllowedInstanceType(launch.instanceType) ? stackProfiles(instanceTypeInfo(launch.instanceType).memoryGiB) : [];
  const userData = renderCheckedUserData({ ...pre.userDataInput, allowedCidr: allowed.cidr, profiles }).packed;
  const alertDestination = seen.parameters.includes(envNames(cfg.env).secretParameter(WEBHOOK_SECRET));
  return { steps, data, allowed, launch, profiles, drift, kept: cfg.replace ? undefined : instance, userData, alertDestination };
}

/**
 * IAM is eventually consistent and nothing outside shows when a written policy has reached
 * SSM; the new box's agent checks it seconds after boot, and a refusal costs it a 25-30 min
 * sleep (amazon-ssm-agent core/app/credentialrefresher). So the launch comes at least this
 * long after the policy was written; the bootstrap's agent restart covers a slower change.
 */
export const POLICY_SETTLE_MS = 15_000;

async function policySettled(clock: Clock, writtenAt: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  const left = writtenAt === undefined ? 0 : writtenAt + POLICY_SETTLE_MS - clock.now();
  if (left > 0) await clock.sleep(left, signal);
}

/** The kept box's off-box guard, armed again at its ExpiresAt (its arming failed on an earlier run). */
async function rearmKeptSchedule(deps: ProvisionDeps, pre: Preflight, env: string, instance: EnvInstance | undefined): Promise<void> {
  if (!instance?.expiresAt) throw new OperatorError(`The instance ${instance?.id ?? '(none)'} has no valid ExpiresAt tag, so its expiry schedule cannot be armed.`, 'Set ExpiresAt (ISO 8601 UTC) on the instance, or `npm run provision -- --replace`.');
  await armExpirySchedule(deps.clients.scheduler, { env, instanceId: instance.id, expiresAt: instance.expiresAt, roleArn: schedulerRoleArn({ ...pre, env }) }, deps.clock);
}

/** The kept box's expiry, moved the way `npm run extend` moves it; its SSM agent must be online. */
async function moveKeptExpiry(deps: ProvisionDeps, pre: Preflight, instance: { id: string; env: string }, to: Date): Promise<void> {
  const run = ssmRunner(deps.clients.ssm, instance.id, { clock: deps.clock });
  try {
    await moveExpiry({ ec2: deps.clients.ec2, scheduler: deps.clients.scheduler, run, clock: deps.clock, schedulerRoleArn: schedulerRoleArn({ ...pre, env: instance.env }) }, instance, to);
  } catch (err) {
    if (awsErrorName(err) !== 'InvalidInstanceId') throw err;
    throw new OperatorError(
      `The SSM agent of ${instance.id} is not online, so its expiry timer cannot move yet.`,
      'Wait until `npm run status` shows its services, then run provision again (or `npm run extend`).',
    );
  }
}

/** The range into the kept box's settings and its running edge, in place, when they differ (box/edge-reload.ts). */
async function applyKeptRange(deps: ProvisionDeps, instanceId: string, cidr: string): Promise<RangeOutcome> {
  const run = ssmRunner(deps.clients.ssm, instanceId, { clock: deps.clock });
  const send = () => run(edgeRangeCommand(cidr), { timeoutSeconds: 60 });
  // A box still booting (a re-run right after a launch) has no agent yet: wait for it as the boot wait would.
  const result = await send().catch(async (err: unknown) => {
    if (awsErrorName(err) !== 'InvalidInstanceId') throw err;
    const online = await waitAgentOnline(deps.clients, instanceId, deps.clock, agentAndCloudInitDeadline(deps.clock), deps.signal).then(() => true, () => false);
    return online ? send() : undefined;
  });
  if (result?.exitCode === 0) {
    const outcome = parseRangeOutcome(result.stdout);
    if (outcome === 'reloaded') deps.progress.note(`The edge on ${instanceId} enforces ${cidr} now (settings written, Caddy reloaded in place).`);
    if (outcome === 'written') deps.progress.note(`The settings of ${instanceId} say ${cidr} now; its edge is not running and takes the range when the stack starts.`);
    return outcome;
  }
  const cause = result ? result.stderr.trim().split('\n').at(-1) || `exit ${result.exitCode}` : 'its SSM agent is not online';
  throw new OperatorError(
    `The edge on ${instanceId} does not enforce ${cidr} yet (${cause}); its settings were left as they were.`,
    'Run provision again once `npm run status` shows its services: it compares the range on the box and applies it then.',
  );
}

interface Applied {
  /** The instance that will serve the environment (a new one when launched). */
  instanceId: string;
  address?: ElasticIp;
  /** A replacement gets the address only once it serves, just before the old box retires. */
  moveAddressLater: boolean;
  /** The key of the backup taken of the box --replace retires. */
  backedUp?: string;
}

/** Acts on the plan: the bucket, the source, the backup of a replaced box, then the environment's resources. */
async function apply(cfg: ProvisionConfig, pre: Preflight, seen: ObservedEnvironment, { steps, allowed, launch, profiles, drift, userData, kept }: Decision, storage: Storage, deps: ProvisionDeps): Promise<Applied> {
  const { iam, ec2, ssm } = deps.clients;
  const created: Created = { secrets: [] };
  let backedUp: string | undefined;
  let securityGroupId = seen.securityGroup?.id;
  let launched: string | undefined;
  let address = seen.elasticIp;
  let policyWrittenAt: number | undefined;
  const replacing = steps.some((s) => s.resource === 'instance' && s.action === 'replace');
  const clientToken = `pillbox-${cfg.env}-${deps.runId}`;
  let launching = false;
  try {
    for (const step of steps) {
      // The restore runs once the new box is ready, after the waits; the expiry schedule is armed once the launch
      // names its instance (armExpirySchedule below).
      if (step.action === 'keep' || step.resource === 'database' || step.resource === 'expiry-schedule') continue;
      throwIfInterrupted(deps.signal);
      await deps.progress.step(`${step.action} ${step.resource} ${step.name}`, async () => {
        switch (step.resource) {
          case 'bucket':
            await convergeBucket(storage, { backupRetentionDays: cfg.backupRetentionDays, clock: deps.clock });
            break;
          case 'source':
            await uploadSource(storage, cfg.env, pre.archive);
            break;
          case 'backup':
            backedUp = await backupBeforeChange(ssm, step.name, 'pre-replace', deps.progress, deps.clock);
            break;
          case 'role':
            // Marked first: a failure after CreateRole (its boundary) still undoes the role.
            created.role = true;
            await createRole(iam, cfg.env, pre.tags, { accountId: pre.accountId, partition: pre.partition });
            break;
          case 'role-policy':
            await putInstancePolicy(iam, { env: cfg.env, region: pre.region, accountId: pre.accountId, partition: pre.partition });
            policyWrittenAt = deps.clock.now();
            break;
          case 'instance-profile':
            // Marked first: a failure adding the role still undoes the empty profile.
            created.profile = !seen.instanceProfile;
            await createInstanceProfile(iam, cfg.env, pre.tags, seen.instanceProfile);
            break;
          case 'scheduler-role':
            await ensureSchedulerRole(iam, { env: cfg.env, region: pre.region, accountId: pre.accountId, partition: pre.partition, tags: pre.tags }, !!seen.schedulerRole);
            created.schedulerRole = !seen.schedulerRole;
            break;
          case 'secrets':
            // One at a time, so a failure part way undoes the secrets already written.
            for (const name of missingSecrets(cfg.env, seen.parameters)) created.secrets.push(...(await createSecrets(ssm, cfg.env, [name], pre.tags)));
            break;
          case 'security-group':
            securityGroupId = await createSecurityGroup(ec2, cfg.env, pre.vpcId, pre.tags);
            created.securityGroupId = securityGroupId;
            break;
          case 'ingress':
            await setIngress(ec2, securityGroupId as string, edgeIngress(allowed.cidr), pre.tags);
            break;
          case 'edge-range':
            // The summary counts what changed: a box that already says the range was kept as it was.
            if (kept && (await applyKeptRange(deps, kept.id, allowed.cidr)) === 'unchanged') step.action = 'keep';
            break;
          case 'elastic-ip':
            if (step.action === 'create') {
              address = await allocateElasticIp(ec2, cfg.env, pre.tags);
              created.elasticIp = address.allocationId;
            } else if (!replacing) {
              // An address attaches to a running instance only; a new box gets it before cloud-init downloads much.
              const target = launched ?? (currentInstance(seen)?.id as string);
              await waitRunning(ec2, target, deps.clock, () => undefined);
              await associateElasticIp(ec2, (address as ElasticIp).allocationId, target);
            }
            break;
          case 'expiry':
            if (step.action === 'create') await rearmKeptSchedule(deps, pre, cfg.env, currentInstance(seen));
            else if (drift?.expiryTo) await moveKeptExpiry(deps, pre, { id: step.name, env: cfg.env }, drift.expiryTo);
            break;
          case 'instance':
            // A stopped leftover goes; a running box being replaced stays until its successor is healthy.
            if (step.action === 'delete') await requestTermination(ec2, [step.name]);
            if (step.action === 'create' || step.action === 'replace') {
              await policySettled(deps.clock, policyWrittenAt, deps.signal);
              throwIfInterrupted(deps.signal);
              launching = true;
              launched = await launchInstance(
                ec2,
                {
                  env: cfg.env,
                  ami: pre.ami,
                  instanceType: launch.instanceType,
                  volumeGb: launch.volumeGb,
                  securityGroupId: securityGroupId as string,
                  userData,
                  profiles,
                  // A re-run tells the two boxes of an unfinished replace apart by this (plan.ts currentInstance).
                  tags: step.action === 'replace' ? [...pre.tags, { Key: TAG.replaces, Value: step.name }] : pre.tags,
                  clientToken,
                },
                deps.clock,
                deps.launch,
              );
              // The guard outside the box: terminates it after ExpiresAt even if it never boots.
              await armExpirySchedule(deps.clients.scheduler, { env: cfg.env, instanceId: launched, expiresAt: pre.expiresAt, roleArn: schedulerRoleArn({ ...pre, env: cfg.env }) }, deps.clock);
            }
            break;
        }
      });
    }
  } catch (err) {
    if (launched === undefined && launching) {
      // A launch whose answer was lost still made a box: look it up by its token before undoing anything.
      const found = await deps.progress
        .step('look for the launch by its ClientToken', () => findByClientToken(ec2, clientToken, deps.clock))
        .then((id) => ({ id }), (lookupErr: unknown) => ({ id: undefined, failed: describeAwsError(lookupErr) }));
      if ('failed' in found) throw unknownLaunch(err, cfg.env, await deps.clients.ssm.config.region(), created, found.failed);
      launched = found.id;
      // Its schedule was never armed: the guard outside the box comes before the error.
      if (launched !== undefined) await armExpirySchedule(deps.clients.scheduler, { env: cfg.env, instanceId: launched, expiresAt: pre.expiresAt, roleArn: schedulerRoleArn({ ...pre, env: cfg.env }) }, deps.clock).catch(() => undefined);
    }
    // A replacement that failed before it served goes again: the old box has served throughout (teardown would remove both).
    const replaced = steps.find((s) => s.resource === 'instance' && s.action === 'replace')?.name;
    if (launched !== undefined && replaced) throw await abandonReplacement(deps, launched, replaced, 'failed right after its launch', err);
    if (launched !== undefined) throw afterLaunch(err, { env: cfg.env, instanceId: launched, hourlyUsd: hourlyCost(launch.instanceType, launch.volumeGb), expiresAt: pre.expiresAt });
    // Nothing half-made: without a new instance, remove what this run created.
    const left = await deps.progress.step('undo what this run created', () => undo(deps, cfg.env, created));
    throw withLeftovers(err, cfg.env, await deps.clients.ssm.config.region(), left);
  }
  const serving = launched ?? currentInstance(seen)?.id;
  if (!serving) throw new Error('plan left no instance');
  const moveAddressLater = replacing && steps.some((s) => s.resource === 'elastic-ip' && s.action === 'update');
  return { instanceId: serving, moveAddressLater, backedUp, ...(address ? { address } : {}) };
}

/** The boot waits: running, the agent, cloud-init, the stack, /readyz, then which mode the edge serves. */
async function waitUntilServing(cfg: ProvisionConfig, deps: ProvisionDeps, instanceId: string, result: ProvisionResult): Promise<EnvInstance> {
  const { progress, clients, clock } = deps;
  const { signal } = deps;
  const running = await progress.step(`wait: ${instanceId} running`, (report) => waitRunning(clients.ec2, instanceId, clock, report, signal), budget('running'));
  result.publicIp = running.publicIp;
  result.appUrl = `http://${cfg.domain ?? running.publicIp}/`;
  if (cfg.noWait) return running;
  const bootstrapped = agentAndCloudInitDeadline(clock);
  await progress.step('wait: SSM agent online', () => waitAgentOnline(clients, instanceId, clock, bootstrapped, signal), budget('agent'));
  const warnings = await progress.step('wait: cloud-init finished', () => waitCloudInit(clients.ssm, instanceId, clock, bootstrapped, signal), budget('cloudInit'));
  if (warnings) {
    result.cloudInitWarnings = warnings;
    progress.note(`  ! cloud-init finished with recoverable errors (exit 2); the box went on:\n${warnings}`);
  }
  await progress.step('wait: every compose service healthy', (report) => waitStackHealthy(clients.ssm, instanceId, clock, report, signal), budget('stack'));
  await progress.step('wait: the app answers /readyz through the edge', () => waitAppReady(clients.ssm, instanceId, EDGE_LOCAL_PORT, clock, signal), budget('ready'));
  result.edge = await progress.step('read the edge: HTTPS or plain HTTP', () => readEdgeMode(ssmRunner(clients.ssm, instanceId, { clock }), new Date(clock.now())));
  if ('url' in result.edge && result.edge.url) result.appUrl = result.edge.url;
  result.waited = true;
  return running;
}

/**
 * Seeds a new, ready box: from --restore, or else from the backup just taken of the box
 * --replace retires, so the data moves with the environment. A box launched a moment ago
 * holds nothing worth a backup of its own, and the operator asked for this restore.
 */
async function seedData(deps: ProvisionDeps, storage: Storage, env: string, instanceId: string, from: string): Promise<ProvisionResult['restored']> {
  const run = ssmRunner(deps.clients.ssm, instanceId, { clock: deps.clock });
  const request = { env, from, backupFirst: false, healthTimeoutSeconds: DEFAULT_HEALTH_TIMEOUT_SECONDS };
  const done = await restoreDatabase({ run, storage, progress: deps.progress, newId: deps.newId ?? randomHex, confirm: async () => true }, request);
  return done && { key: done.restored.key, rows: done.rows };
}

/** A boot wait's share of the budget, shown beside its elapsed time. */
const budget = (step: keyof typeof BOOT_STEPS_MIN) => ({ budgetMs: BOOT_STEPS_MIN[step] * 60_000 });

export async function provision(cfg: ProvisionConfig, deps: ProvisionDeps): Promise<ProvisionResult> {
  const { progress, clients, clock } = deps;
  progress.note(`Time budget: ${budgetText()}.`);
  const pre = await progress.step('preflight: credentials, region, commit, source archive', () => preflight(cfg, deps));
  if (pre.uncommitted) progress.note(pre.uncommitted);
  const storage = storageFor(deps.s3, pre.accountId, pre.region);
  const observe = async () => {
    const [seen, data] = await progress.step('look at what exists', () => Promise.all([observeEnvironment(clients, cfg.env), observeStorage(storage, cfg.env, pre.source)]));
    return { seen, decision: await decide(cfg, pre, seen, data, storage, deps) };
  };

  if (cfg.plan) {
    const { decision } = await observe();
    const refused = replaceRefusal(decision.drift, cfg.replace);
    return {
      ...described(cfg, pre, decision, clock.now()),
      planned: true,
      steps: decision.steps,
      instanceId: decision.kept?.id,
      ...(refused ? { refused: { message: refused.message, hint: refused.hint } } : {}),
      waited: false,
    };
  }

  const lockInfo = { holder: `${deps.holder} (${pre.callerArn})`, command: 'provision', since: new Date(clock.now()).toISOString() };
  const done = await withLock(clients.ssm, cfg.env, lockInfo, pre.tags, async () => {
    if (deps.lock) deps.lock.held = true;
    const { seen, decision: decided } = await observe();
    const refused = replaceRefusal(decided.drift, cfg.replace);
    if (refused) throw refused;
    // A long life is a decision, not a default. Asked once the box is known (a kept box costs what its own
    // type and volume cost) and before anything changes; an answer of no releases the lock.
    const life = { env: cfg.env, hours: cfg.ttlHours ?? 0, ...servedSize(decided) };
    await confirmLongLived(life, { yes: cfg.yes, interactive: deps.interactive, ask: deps.ask ?? askOnTerminal }, `--ttl-hours ${PREVIEW_MAX_HOURS} or less`);
    const applied = await apply(cfg, pre, seen, decided, storage, deps);
    // A replace holds the lock until one box serves: a provision run meanwhile would see two boxes and retire one.
    const replacing = decided.steps.some((s) => s.resource === 'instance' && s.action === 'replace');
    return replacing ? await serve(cfg, pre, storage, decided, applied, deps) : { decision: decided, applied };
  }, clock.now, deps.onForcedExit).finally(() => {
    if (deps.lock) deps.lock.held = false;
  });
  return 'decision' in done ? serve(cfg, pre, storage, done.decision, done.applied, deps) : done;
}

/** The boot waits, the data seeded onto a new box, and a replaced box retired once its successor serves. */
async function serve(cfg: ProvisionConfig, pre: Preflight, storage: Storage, decision: Decision, applied: Applied, deps: ProvisionDeps): Promise<ProvisionResult> {
  const { progress, clients, clock } = deps;
  const { steps, kept } = decision;
  const { instanceId, address, moveAddressLater } = applied;
  const launch = steps.find((s) => s.resource === 'instance' && (s.action === 'create' || s.action === 'replace'));
  const result: ProvisionResult = {
    ...described(cfg, pre, decision, clock.now()),
    planned: false,
    steps,
    backedUp: applied.backedUp,
    instanceId,
    waited: false,
    ...(applied.address ? { elasticIp: applied.address.publicIp } : {}),
  };
  if (cfg.noWait && launch) return result;

  const retiring = launch?.action === 'replace' ? launch.name : undefined;
  const seedFrom = cfg.restore ?? applied.backedUp;
  if (retiring && !seedFrom && steps.some((s) => s.resource === 'database')) progress.note(`${retiring} took no backup, so ${instanceId} starts with an empty database.`);
  let running: EnvInstance;
  let stage = 'never became healthy';
  try {
    running = await waitUntilServing(cfg, deps, instanceId, result);
    stage = `could not be seeded from ${seedFrom}`;
    if (seedFrom) result.restored = await seedData(deps, storage, cfg.env, instanceId, seedFrom);
  } catch (err) {
    if (retiring) throw await abandonReplacement(deps, instanceId, retiring, stage, err);
    if (!launch) throw err;
    throw afterLaunch(err, { env: cfg.env, instanceId, hourlyUsd: result.hourlyUsd, expiresAt: pre.expiresAt });
  }
  if (retiring) {
    if (moveAddressLater && address) {
      // The domain pointed at the old box until its successor served; the new box's Caddy gets its certificate now.
      await progress.step(`move Elastic IP ${address.publicIp} to ${instanceId}`, () => associateElasticIp(clients.ec2, address.allocationId, instanceId));
      result.publicIp = address.publicIp;
    }
    await progress.step(`retire ${retiring}, replaced by ${instanceId}`, () => requestTermination(clients.ec2, [retiring])).catch((err: unknown) => {
      throw unretired(err, { env: cfg.env, retiring, successor: instanceId, keeps: moveAddressLater && address ? instanceId : retiring });
    });
    result.replaced = retiring;
  }
  result.costSoFarUsd = described(cfg, pre, decision, clock.now(), kept ?? running).costSoFarUsd;
  return result;
}

/** The type and root volume of the box that serves after this run: the kept one's own, or what a launched one gets. */
function servedSize(d: Decision): { instanceType: string; volumeGiB: number } {
  const box = d.kept ? d.drift?.box : undefined;
  return { instanceType: box?.instanceType ?? d.launch.instanceType, volumeGiB: box?.volumeGb ?? d.launch.volumeGb };
}

/**
 * The summary's box: the kept one as it is after this run's in-place changes, or what a
 * launched one gets; its cost over its whole life (launch to expiry) and so far.
 */
function described(cfg: ProvisionConfig, pre: Preflight, d: Decision, now: number, serving = d.kept) {
  const box = d.kept ? d.drift?.box : undefined;
  const { instanceType } = servedSize(d);
  const volumeGb = box ? box.volumeGb : d.launch.volumeGb;
  const expiresAt = box ? (d.drift?.expiryTo ?? box.expiresAt) : pre.expiresAt;
  // A type changed by hand outside the list has no price: the estimate uses the one provision would launch.
  const priced = isAllowedInstanceType(instanceType) ? instanceType : d.launch.instanceType;
  const hourlyUsd = hourlyCost(priced, volumeGb ?? d.launch.volumeGb);
  const lifeHours = expiresAt ? Math.max(expiresAt.getTime() - (d.kept?.launchTime?.getTime() ?? now), 0) / 3_600_000 : d.launch.ttlHours;
  const surplus = surplusCeilingHourly(priced);
  // A kept box runs what its StackProfiles tag records; a new one what its user-data names.
  const shipped = (box ? box.profiles : d.profiles).includes(LOGS_PROFILE);
  const fullSetType = cheapestFullSetType();
  const fullSetHourly = hourlyCost(fullSetType, volumeGb ?? d.launch.volumeGb);
  return {
    env: cfg.env,
    region: pre.region,
    account: pre.accountId,
    instanceType,
    volumeGb,
    allowedCidr: d.allowed.cidr,
    ...(cfg.domain ? { domain: cfg.domain } : {}),
    changes: d.drift?.changes ?? [],
    gitSha: pre.gitSha,
    source: { key: pre.source.key, sha256: pre.source.sha256, bytes: pre.source.bytes },
    storage: {
      bucket: bucketName(pre.accountId, pre.region),
      retentionDays: cfg.backupRetentionDays,
      dumpBytes: d.data.latestDumpBytes,
      ...storageEstimate({ sourceBytes: pre.source.bytes, dumpBytes: d.data.latestDumpBytes, retentionDays: cfg.backupRetentionDays }),
    },
    expiresAt: expiresAt ? isoSeconds(expiresAt) : 'unknown (the box has no ExpiresAt tag)',
    budgetMinutes: PROVISION_MIN,
    budget: budgetText(),
    hourlyUsd,
    ttlUsd: hourlyUsd * lifeHours,
    containerLogs: shipped ? { shipped } : { shipped, fullSet: { instanceType: fullSetType, hourlyUsd: fullSetHourly, ttlUsd: fullSetHourly * lifeHours } },
    ...(surplus > 0 ? { creditCeiling: { hourlyUsd: surplus, ttlUsd: surplus * lifeHours } } : {}),
    alertDestination: d.alertDestination,
    costSoFarUsd: serving?.launchTime ? costFor(priced, volumeGb ?? d.launch.volumeGb, now - serving.launchTime.getTime()) : 0,
  };
}

const randomHex = (): string => randomBytes(8).toString('hex');

/** How long a failed replacement may take to terminate (EC2's shutting-down is about a minute). */
const REPLACEMENT_TERMINATION_MS = 5 * 60_000;

/** A replacement that never served goes again; the old box has served throughout. */
async function abandonReplacement(deps: ProvisionDeps, replacement: string, old: string, stage: string, err: unknown): Promise<OperatorError> {
  const hint = err instanceof OperatorError ? err.hint : (explainAwsError(err)?.hint ?? LOOK);
  let removed = `${replacement} was terminated`;
  try {
    // Until EC2 says terminated: seconds after its launch EC2 may not know the box yet (NotFound), and a request that
    // took that for "gone" would leave it running.
    await deps.progress.step(`terminate the failed replacement ${replacement}`, (report) => terminateInstances(deps.clients.ec2, [replacement], { clock: deps.clock, limitMs: REPLACEMENT_TERMINATION_MS, report }));
  } catch (terminateErr) {
    removed = `${replacement} could NOT be terminated (${describeAwsError(terminateErr)}): \`npm run status\` shows it`;
  }
  return new OperatorError(`The replacement box ${stage}: ${errorSummary(err)}\n${old} keeps serving; ${removed}.`, hint);
}
