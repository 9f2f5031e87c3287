// provision: preflight (read-only), observe, plan, then, under the environment's lock,
// apply the plan in one place; a failure before the instance exists undoes what this run
// created. Then wait for the box with bounded, visible steps.
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DeleteParametersCommand } from '@aws-sdk/client-ssm';
import { allocateElasticIp, associateElasticIp, releaseElasticIp } from '../aws/elastic-ip.js';
import { observeEnvironment, type EnvInstance, type ObservedEnvironment } from '../aws/environment.js';
import { createInstanceProfile, createRole, deleteInstanceProfile, deleteRole, putInstancePolicy } from '../aws/iam.js';
import { assertInstanceTypeOffered, launchInstance, resolveAmi, terminateInstances, type Ami, type LaunchOptions } from '../aws/instance.js';
import { withLock } from '../aws/lock.js';
import { createSecrets, missingSecrets } from '../aws/secrets.js';
import { createSecurityGroup, deleteSecurityGroup, EDGE_PORTS, findDefaultVpc, setIngress, type RetryOptions } from '../aws/security-group.js';
import { readEdgeMode, type EdgeMode } from '../box/edge-certificate.js';
import { EDGE_LOCAL_PORT } from '../box/layout.js';
import { ssmRunner } from '../box/ssm-output.js';
import { renderCheckedUserData } from '../box/user-data.js';
import { resolveRegion, type AwsClients } from '../core/aws-clients.js';
import type { Clock } from '../core/clock.js';
import { assertCommitOnRemote, resolveCommit, type GitRunner } from '../core/git.js';
import { baseTags, envNames, isoSeconds, type Tag } from '../core/names.js';
import { costFor, hourlyCost, isAllowedInstanceType } from '../core/pricing.js';
import type { Progress } from '../core/progress.js';
import type { Step } from '../core/step.js';
import { waitAgentOnline, waitAppReady, waitCloudInit, waitRunning, waitStackHealthy } from './boot-wait.js';
import type { ProvisionConfig } from './config.js';
import { currentInstance, planProvision } from './plan.js';

export interface ProvisionDeps {
  clients: AwsClients;
  git: GitRunner;
  progress: Progress;
  clock: Clock;
  /** Unique per invocation: the RunInstances ClientToken derives from it. */
  runId: string;
  /** Who runs this (user@host), recorded in the lock. */
  holder: string;
  launch?: LaunchOptions;
  sgRetry?: RetryOptions;
}

export interface Preflight {
  accountId: string;
  callerArn: string;
  region: string;
  gitSha: string;
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
  const gitSha = await resolveCommit(git, cfg.ref);
  await assertCommitOnRemote(git, cfg.repoUrl, gitSha);
  await assertInstanceTypeOffered(clients.ec2, cfg.instanceType, region);
  const [vpcId, ami] = await Promise.all([findDefaultVpc(clients.ec2), resolveAmi(clients.ssm, clients.ec2)]);
  const expiresAt = new Date(Math.floor(deps.clock.now() / 1000) * 1000 + cfg.ttlHours * 3_600_000);
  const userData = renderCheckedUserData({ env: cfg.env, region, domain: cfg.domain, repoUrl: cfg.repoUrl, gitSha, expiresAt, appImage: cfg.appImage });
  return {
    accountId: identity.Account ?? '',
    callerArn: identity.Arn ?? '',
    region,
    gitSha,
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
  domain?: string;
  /** The environment's Elastic IP (environments with a domain): the DNS record's target. */
  elasticIp?: string;
  /** What the edge serves once the box is up: HTTPS with its certificate's expiry, or plain HTTP and why. */
  edge?: EdgeMode | { error: string };
  gitSha: string;
  expiresAt: string;
  hourlyUsd: number;
  ttlUsd: number;
  costSoFarUsd: number;
  waited: boolean;
}


/** What this run created, newest last, so a failure can undo exactly that. */
interface Created {
  role?: boolean;
  profile?: boolean;
  securityGroupId?: string;
  elasticIp?: string;
  secrets: string[];
}

async function undo(deps: ProvisionDeps, env: string, created: Created): Promise<void> {
  const { iam, ec2, ssm } = deps.clients;
  const n = envNames(env);
  if (created.elasticIp) await releaseElasticIp(ec2, created.elasticIp);
  if (created.securityGroupId) await deleteSecurityGroup(ec2, created.securityGroupId, deps.sgRetry);
  if (created.profile) await deleteInstanceProfile(iam, { name: n.instanceProfile, arn: '', roles: [n.role] });
  if (created.role) await deleteRole(iam, { name: n.role, arn: '', inlinePolicies: [n.inlinePolicy] });
  if (created.secrets.length > 0) await ssm.send(new DeleteParametersCommand({ Names: created.secrets.map((s) => n.secretParameter(s)) }));
}

/** Acts on the plan; returns the instance that now serves the environment and its Elastic IP, if any. */
async function apply(cfg: ProvisionConfig, pre: Preflight, seen: ObservedEnvironment, steps: Step[], deps: ProvisionDeps): Promise<{ instanceId: string; elasticIp?: string }> {
  const { iam, ec2, ssm } = deps.clients;
  const created: Created = { secrets: [] };
  let securityGroupId = seen.securityGroup?.id;
  let instanceId = currentInstance(seen.instances)?.id;
  let address = seen.elasticIp;
  try {
    for (const step of steps) {
      if (step.action === 'keep') continue;
      await deps.progress.step(`${step.action} ${step.resource} ${step.name}`, async () => {
        switch (step.resource) {
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
            await setIngress(ec2, securityGroupId as string, EDGE_PORTS, cfg.allowedCidr, pre.tags);
            break;
          case 'elastic-ip':
            if (step.action === 'create') {
              address = await allocateElasticIp(ec2, cfg.env, pre.tags);
              created.elasticIp = address.allocationId;
            } else {
              // An address attaches to a running instance only; attached early, before cloud-init downloads much.
              await waitRunning(ec2, instanceId as string);
              await associateElasticIp(ec2, (address as NonNullable<typeof address>).allocationId, instanceId as string);
            }
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
  return { instanceId, elasticIp: address?.publicIp };
}

export async function provision(cfg: ProvisionConfig, deps: ProvisionDeps): Promise<ProvisionResult> {
  const { progress, clients, clock } = deps;
  const pre = await progress.step('preflight: credentials, region, commit, user-data', () => preflight(cfg, deps));
  const hourlyUsd = hourlyCost(cfg.instanceType, cfg.volumeGb);
  const base = {
    env: cfg.env,
    region: pre.region,
    account: pre.accountId,
    instanceType: cfg.instanceType,
    gitSha: pre.gitSha,
    hourlyUsd,
    ttlUsd: hourlyUsd * cfg.ttlHours,
  };
  const intent = { env: cfg.env, instanceType: cfg.instanceType, allowedCidr: cfg.allowedCidr, replace: cfg.replace, domain: cfg.domain };

  if (cfg.plan) {
    const seen = await progress.step('look at what exists', () => observeEnvironment(clients, cfg.env));
    const kept = cfg.replace ? undefined : currentInstance(seen.instances);
    return {
      ...base,
      planned: true,
      steps: planProvision(intent, seen),
      instanceId: kept?.id,
      expiresAt: isoSeconds(kept?.expiresAt ?? pre.expiresAt),
      costSoFarUsd: costSince(kept, cfg, clock.now()),
      waited: false,
    };
  }

  const lockInfo = { holder: `${deps.holder} (${pre.callerArn})`, command: 'provision', since: new Date(clock.now()).toISOString() };
  const { steps, instanceId, elasticIp, seen } = await withLock(clients.ssm, cfg.env, lockInfo, pre.tags, async () => {
    const observed = await progress.step('look at what exists', () => observeEnvironment(clients, cfg.env));
    const planned = planProvision(intent, observed);
    return { steps: planned, seen: observed, ...(await apply(cfg, pre, observed, planned, deps)) };
  }, clock.now);

  const launched = steps.some((s) => s.resource === 'instance' && (s.action === 'create' || s.action === 'replace'));
  const kept = launched ? undefined : seen.instances.find((i) => i.id === instanceId);
  const result: ProvisionResult = {
    ...base,
    planned: false,
    steps,
    instanceId,
    expiresAt: isoSeconds(kept?.expiresAt ?? pre.expiresAt),
    costSoFarUsd: costSince(kept, cfg, clock.now()),
    waited: false,
    ...(cfg.domain ? { domain: cfg.domain } : {}),
    ...(elasticIp ? { elasticIp } : {}),
  };
  if (cfg.noWait && launched) return result;

  const running = await progress.step(`wait: ${instanceId} running`, () => waitRunning(clients.ec2, instanceId));
  result.publicIp = running.publicIp;
  result.appUrl = `http://${cfg.domain ?? running.publicIp}/`;
  if (!cfg.noWait) {
    await progress.step('wait: SSM agent online', () => waitAgentOnline(clients.ssm, instanceId, clock));
    await progress.step('wait: cloud-init finished', () => waitCloudInit(clients.ssm, instanceId, clock));
    await progress.step('wait: every compose service healthy', (report) => waitStackHealthy(clients.ssm, instanceId, clock, report));
    await progress.step('wait: the app answers /readyz through the edge', () => waitAppReady(clients.ssm, instanceId, EDGE_LOCAL_PORT, clock));
    result.edge = await progress.step('read the edge: HTTPS or plain HTTP', () =>
      readEdgeMode(ssmRunner(clients.ssm, instanceId, { sleep: clock.sleep, now: clock.now }), new Date(clock.now())),
    );
    if ('url' in result.edge && result.edge.url) result.appUrl = result.edge.url;
    result.waited = true;
  }
  result.costSoFarUsd = costSince(kept ?? running, cfg, clock.now());
  return result;
}

function costSince(instance: EnvInstance | undefined, cfg: ProvisionConfig, now: number): number {
  if (!instance?.launchTime) return 0;
  const type = isAllowedInstanceType(instance.instanceType) ? instance.instanceType : cfg.instanceType;
  return costFor(type, cfg.volumeGb, now - instance.launchTime.getTime());
}
