// provision: preflight (read-only), observe, plan, then, under the environment's lock,
// apply the plan in one place; a failure before the instance exists undoes what this run
// created. Then wait for the box with bounded, visible steps.
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DeleteParametersCommand } from '@aws-sdk/client-ssm';
import { convergeBucket, storageFor, type Storage } from '../aws/bucket.js';
import { observeEnvironment, type EnvInstance, type ObservedEnvironment } from '../aws/environment.js';
import { createInstanceProfile, createRole, deleteInstanceProfile, deleteRole, putInstancePolicy } from '../aws/iam.js';
import { assertInstanceTypeOffered, launchInstance, resolveAmi, terminateInstances, type Ami, type LaunchOptions } from '../aws/instance.js';
import { withLock } from '../aws/lock.js';
import { createSecrets, missingSecrets } from '../aws/secrets.js';
import { createSecurityGroup, deleteSecurityGroup, findDefaultVpc, setIngress, type RetryOptions } from '../aws/security-group.js';
import { shippedSource, uploadSource, type ShippedSource } from '../aws/source-object.js';
import { backupBeforeChange } from '../backup/run.js';
import { ssmRunner } from '../box/ssm-output.js';
import { renderCheckedUserData } from '../box/user-data.js';
import { resolveRegion, type AwsClients } from '../core/aws-clients.js';
import type { Clock } from '../core/clock.js';
import { resolveCommit, type GitRunner } from '../core/git.js';
import { baseTags, envNames, isoSeconds, type Tag } from '../core/names.js';
import { costFor, hourlyCost, isAllowedInstanceType } from '../core/pricing.js';
import type { Progress } from '../core/progress.js';
import { buildSourceArchive, uncommittedWarning, type ArchiveRunner, type SourceArchive } from '../core/source-archive.js';
import type { Step } from '../core/step.js';
import { storageEstimate, type StorageEstimate } from '../core/storage-cost.js';
import { restoreDatabase } from '../restore/run.js';
import { waitAgentOnline, waitAppReady, waitCloudInit, waitRunning, waitStackHealthy } from './boot-wait.js';
import type { ProvisionConfig } from './config.js';
import { currentInstance, planProvision } from './plan.js';
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
  launch?: LaunchOptions;
  sgRetry?: RetryOptions;
  /** Hex ids for files on the box (a restore). */
  newId?: () => string;
}

export interface Preflight {
  accountId: string;
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
  userData: string;
  tags: Tag[];
}

export async function preflight(cfg: ProvisionConfig, deps: ProvisionDeps): Promise<Preflight> {
  const { clients, git } = deps;
  const region = await resolveRegion(clients);
  const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  const accountId = identity.Account ?? '';
  const gitSha = await resolveCommit(git, cfg.ref);
  const archive = await buildSourceArchive(deps.archive, gitSha);
  const source = shippedSource(cfg.env, archive);
  await assertInstanceTypeOffered(clients.ec2, cfg.instanceType, region);
  const [vpcId, ami] = await Promise.all([findDefaultVpc(clients.ec2), resolveAmi(clients.ssm, clients.ec2)]);
  const expiresAt = new Date(Math.floor(deps.clock.now() / 1000) * 1000 + cfg.ttlHours * 3_600_000);
  const userData = renderCheckedUserData({ env: cfg.env, region, appPort: cfg.appPort, accountId, gitSha, source, expiresAt, appImage: cfg.appImage });
  return {
    accountId,
    callerArn: identity.Arn ?? '',
    region,
    gitSha,
    uncommitted: await uncommittedWarning(git, gitSha),
    archive,
    source,
    vpcId,
    ami,
    expiresAt,
    userData,
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
  instanceType: string;
  publicIp?: string;
  appUrl?: string;
  gitSha: string;
  source: { key: string; sha256: string; bytes: number };
  /** The project bucket and what the environment keeps in it, per month. */
  storage: StorageEstimate & { bucket: string; retentionDays: number; dumpBytes?: number };
  /** The backup taken of the box --replace terminated. */
  backedUp?: string;
  restored?: { key: string; rows: Record<string, number> };
  expiresAt: string;
  hourlyUsd: number;
  ttlUsd: number;
  costSoFarUsd: number;
  waited: boolean;
}

const appUrl = (ip: string | undefined, port: number): string | undefined => (ip ? `http://${ip}${port === 80 ? '' : `:${port}`}/` : undefined);

/** What this run created, newest last, so a failure can undo exactly that. */
interface Created {
  role?: boolean;
  profile?: boolean;
  securityGroupId?: string;
  secrets: string[];
}

async function undo(deps: ProvisionDeps, env: string, created: Created): Promise<void> {
  const { iam, ec2, ssm } = deps.clients;
  const n = envNames(env);
  if (created.securityGroupId) await deleteSecurityGroup(ec2, created.securityGroupId, deps.sgRetry);
  if (created.profile) await deleteInstanceProfile(iam, { name: n.instanceProfile, arn: '', roles: [n.role] });
  if (created.role) await deleteRole(iam, { name: n.role, arn: '', inlinePolicies: [n.inlinePolicy] });
  if (created.secrets.length > 0) await ssm.send(new DeleteParametersCommand({ Names: created.secrets.map((s) => n.secretParameter(s)) }));
}

interface Applied {
  instanceId: string;
  backedUp?: string;
}

/** Acts on the plan; returns the instance that now serves the environment. */
async function apply(cfg: ProvisionConfig, pre: Preflight, seen: ObservedEnvironment, steps: Step[], storage: Storage, deps: ProvisionDeps): Promise<Applied> {
  const { iam, ec2, ssm } = deps.clients;
  const created: Created = { secrets: [] };
  let backedUp: string | undefined;
  let securityGroupId = seen.securityGroup?.id;
  let instanceId = currentInstance(seen.instances)?.id;
  try {
    for (const step of steps) {
      // The restore runs once the new box is ready, after the waits.
      if (step.action === 'keep' || step.resource === 'database') continue;
      await deps.progress.step(`${step.action} ${step.resource} ${step.name}`, async () => {
        switch (step.resource) {
          case 'bucket':
            await convergeBucket(storage, { backupRetentionDays: cfg.backupRetentionDays, sleep: deps.clock.sleep });
            break;
          case 'source':
            await uploadSource(storage, cfg.env, pre.archive);
            break;
          case 'backup':
            backedUp = await backupBeforeChange(ssm, step.name, 'pre-replace', deps.progress);
            break;
          case 'role':
            await createRole(iam, cfg.env, pre.tags);
            created.role = true;
            break;
          case 'role-policy':
            await putInstancePolicy(iam, { env: cfg.env, region: pre.region, accountId: pre.accountId });
            break;
          case 'instance-profile':
            await createInstanceProfile(iam, cfg.env, pre.tags, seen.instanceProfile);
            created.profile = !seen.instanceProfile;
            break;
          case 'secrets':
            created.secrets = await createSecrets(ssm, cfg.env, missingSecrets(cfg.env, seen.parameters), pre.tags);
            break;
          case 'security-group':
            securityGroupId = await createSecurityGroup(ec2, cfg.env, pre.vpcId, pre.tags);
            created.securityGroupId = securityGroupId;
            break;
          case 'ingress':
            await setIngress(ec2, securityGroupId as string, cfg.appPort, cfg.allowedCidr, pre.tags);
            break;
          case 'instance':
            if (step.action === 'delete' || step.action === 'replace') await terminateInstances(ec2, [step.name]);
            if (step.action === 'create' || step.action === 'replace') {
              instanceId = await launchInstance(
                ec2,
                {
                  env: cfg.env,
                  ami: pre.ami,
                  instanceType: cfg.instanceType,
                  volumeGb: cfg.volumeGb,
                  securityGroupId: securityGroupId as string,
                  userData: pre.userData,
                  tags: pre.tags,
                  clientToken: `pillbox-${cfg.env}-${deps.runId}`,
                },
                deps.launch,
              );
            }
            break;
        }
      });
    }
  } catch (err) {
    // Nothing half-made: without a new instance, remove what this run created.
    if (instanceId === currentInstance(seen.instances)?.id || instanceId === undefined) {
      await deps.progress.step('undo what this run created', () => undo(deps, cfg.env, created)).catch(() => undefined);
    }
    throw err;
  }
  if (!instanceId) throw new Error('plan left no instance');
  return { instanceId, backedUp };
}

export async function provision(cfg: ProvisionConfig, deps: ProvisionDeps): Promise<ProvisionResult> {
  const { progress, clients, clock } = deps;
  const pre = await progress.step('preflight: credentials, region, commit, source archive, user-data', () => preflight(cfg, deps));
  if (pre.uncommitted) progress.note(pre.uncommitted);
  const storage = storageFor(deps.s3, pre.accountId, pre.region);
  const hourlyUsd = hourlyCost(cfg.instanceType, cfg.volumeGb);
  const base = {
    env: cfg.env,
    region: pre.region,
    account: pre.accountId,
    instanceType: cfg.instanceType,
    gitSha: pre.gitSha,
    source: { key: pre.source.key, sha256: pre.source.sha256, bytes: pre.source.bytes },
    hourlyUsd,
    ttlUsd: hourlyUsd * cfg.ttlHours,
  };
  const intent = { env: cfg.env, instanceType: cfg.instanceType, appPort: cfg.appPort, allowedCidr: cfg.allowedCidr, replace: cfg.replace };
  const look = async () => {
    const [env, data] = await Promise.all([observeEnvironment(clients, cfg.env), observeStorage(storage, cfg.env, pre.source)]);
    const steps = withData(planProvision(intent, env), planStorage(storage.bucket, pre.source, data), { env: cfg.env, noBackup: cfg.noBackup, restore: cfg.restore });
    await checkRestoreSource(storage, cfg.env, cfg.restore, steps);
    return { seen: env, data, steps };
  };
  const storageOf = (data: ObservedStorage) => ({
    bucket: storage.bucket,
    retentionDays: cfg.backupRetentionDays,
    dumpBytes: data.latestDumpBytes,
    ...storageEstimate({ sourceBytes: pre.source.bytes, dumpBytes: data.latestDumpBytes, retentionDays: cfg.backupRetentionDays }),
  });

  if (cfg.plan) {
    const { seen, data, steps } = await progress.step('look at what exists', look);
    const kept = cfg.replace ? undefined : currentInstance(seen.instances);
    return {
      ...base,
      planned: true,
      steps,
      storage: storageOf(data),
      instanceId: kept?.id,
      expiresAt: isoSeconds(kept?.expiresAt ?? pre.expiresAt),
      costSoFarUsd: costSince(kept, cfg, clock.now()),
      waited: false,
    };
  }

  const lockInfo = { holder: `${deps.holder} (${pre.callerArn})`, command: 'provision', since: new Date(clock.now()).toISOString() };
  const { steps, seen, data, applied } = await withLock(clients.ssm, cfg.env, lockInfo, pre.tags, async () => {
    const observed = await progress.step('look at what exists', look);
    return { ...observed, applied: await apply(cfg, pre, observed.seen, observed.steps, storage, deps) };
  }, clock.now);
  const { instanceId } = applied;

  const launched = steps.some((s) => s.resource === 'instance' && (s.action === 'create' || s.action === 'replace'));
  const kept = launched ? undefined : seen.instances.find((i) => i.id === instanceId);
  const result: ProvisionResult = {
    ...base,
    planned: false,
    steps,
    storage: storageOf(data),
    backedUp: applied.backedUp,
    instanceId,
    expiresAt: isoSeconds(kept?.expiresAt ?? pre.expiresAt),
    costSoFarUsd: costSince(kept, cfg, clock.now()),
    waited: false,
  };
  if (cfg.noWait && launched) return result;

  const running = await progress.step(`wait: ${instanceId} running`, () => waitRunning(clients.ec2, instanceId));
  result.publicIp = running.publicIp;
  result.appUrl = appUrl(running.publicIp, cfg.appPort);
  if (!cfg.noWait) {
    await progress.step('wait: SSM agent online', () => waitAgentOnline(clients.ssm, instanceId, clock));
    await progress.step('wait: cloud-init finished', () => waitCloudInit(clients.ssm, instanceId, clock));
    await progress.step('wait: every compose service healthy', (report) => waitStackHealthy(clients.ssm, instanceId, clock, report));
    await progress.step('wait: the app answers /readyz', () => waitAppReady(clients.ssm, instanceId, cfg.appPort, clock));
    result.waited = true;
  }
  if (cfg.restore) {
    // A box launched a moment ago holds nothing worth a backup of its own.
    const restore = { env: cfg.env, from: cfg.restore, backupFirst: false, healthTimeoutSeconds: RESTORE_HEALTH_TIMEOUT_SECONDS };
    const run = ssmRunner(clients.ssm, instanceId, { sleep: clock.sleep, now: clock.now });
    // --restore was the operator's answer; the new box has no data to lose.
    const done = await restoreDatabase({ run, storage, progress, newId: deps.newId ?? randomHex, confirm: async () => true }, restore);
    if (done) result.restored = { key: done.restored.key, rows: done.rows };
  }
  result.costSoFarUsd = costSince(kept ?? running, cfg, clock.now());
  return result;
}

/** Seconds the app of a new box may take to turn healthy again after the restore. */
const RESTORE_HEALTH_TIMEOUT_SECONDS = 180;
const randomHex = (): string => randomBytes(8).toString('hex');

function costSince(instance: EnvInstance | undefined, cfg: ProvisionConfig, now: number): number {
  if (!instance?.launchTime) return 0;
  const type = isAllowedInstanceType(instance.instanceType) ? instance.instanceType : cfg.instanceType;
  return costFor(type, cfg.volumeGb, now - instance.launchTime.getTime());
}
