// `npm run status`: what AWS says about each environment, plus what the box says about its services.

import { DescribeVolumesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { findInstances, type EnvInstance } from '../aws/environment.js';
import { composePsCommand, healthWord, parseComposePs, type ServiceHealth } from '../box/compose-health.js';
import { runWithFullOutput, ssmRunner } from '../box/ssm-output.js';
import { awsErrorName, OperatorError } from '../core/operator-error.js';
import { costFor, hourlyCost, usd } from '../core/pricing.js';
import { formatDuration, formatLocal, formatTimeLeft, formatUtc } from '../core/time.js';

export interface EnvStatus {
  env: string;
  instanceId: string;
  state: string;
  instanceType: string;
  url?: string;
  gitSha?: string;
  launchedAt?: string;
  ageMs?: number;
  expiresAt?: string;
  timeLeftMs?: number;
  volumeGiB?: number;
  hourlyUsd?: number;
  costSoFarUsd?: number;
  services?: ServiceHealth[];
  /** Why services are missing (box not running, SSM agent offline, ...). */
  servicesNote?: string;
}

export interface StatusDeps {
  ec2: EC2Client;
  ssm: SSMClient;
  now: () => Date;
  /** Hex ids for the output files on the boxes. */
  newId: () => string;
  /** Poll pacing for SSM, injectable so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** Root volume sizes by instance, in one DescribeVolumes call. */
async function volumeSizes(ec2: EC2Client, instanceIds: string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (instanceIds.length === 0) return sizes;
  const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: instanceIds }] }));
  for (const v of out.Volumes ?? []) {
    const id = v.Attachments?.[0]?.InstanceId;
    if (id) sizes.set(id, (sizes.get(id) ?? 0) + (v.Size ?? 0));
  }
  return sizes;
}

async function boxServices(deps: StatusDeps, instanceId: string): Promise<Pick<EnvStatus, 'services' | 'servicesNote'>> {
  try {
    const run = ssmRunner(deps.ssm, instanceId, { timeoutSeconds: 60, ...(deps.sleep ? { sleep: deps.sleep } : {}) });
    const result = await runWithFullOutput(run, composePsCommand(), { id: deps.newId(), timeoutSeconds: 60 });
    if (result.exitCode !== 0) return { servicesNote: `docker compose ps failed: ${result.stderr.trim().split('\n').at(-1) ?? `exit ${result.exitCode}`}` };
    return { services: parseComposePs(result.stdout) };
  } catch (err) {
    if (awsErrorName(err) === 'InvalidInstanceId') return { servicesNote: 'SSM agent not online yet (booting?), services unknown' };
    if (err instanceof OperatorError) return { servicesNote: err.message };
    throw err;
  }
}

/** Every live environment in the region (or the one named), newest first. */
export async function collectStatus(deps: StatusDeps, env?: string): Promise<EnvStatus[]> {
  const instances = await findInstances(deps.ec2, env);
  const sizes = await volumeSizes(
    deps.ec2,
    instances.map((i) => i.id),
  );
  const now = deps.now();
  return Promise.all(
    instances.map(async (i) => {
      const base = describe(i, now, sizes.get(i.id));
      if (i.state !== 'running') return { ...base, servicesNote: `instance is ${i.state}` };
      const box = await boxServices(deps, i.id);
      const appPort = box.services?.find((s) => s.service === 'app')?.publishedPorts[0];
      return { ...base, ...box, url: appUrl(i, appPort) };
    }),
  );
}

function appUrl(i: EnvInstance, port = 80): string | undefined {
  const host = i.publicDns ?? i.publicIp;
  if (!host) return undefined;
  return port === 80 ? `http://${host}/` : `http://${host}:${port}/`;
}

function describe(i: EnvInstance, now: Date, volumeGiB: number | undefined): EnvStatus {
  const ageMs = i.launchTime ? now.getTime() - i.launchTime.getTime() : undefined;
  const knownPrice = volumeGiB !== undefined && safeHourly(i.instanceType, volumeGiB);
  return {
    env: i.env,
    instanceId: i.id,
    state: i.state,
    instanceType: i.instanceType,
    url: i.state === 'running' ? appUrl(i) : undefined,
    gitSha: i.gitSha,
    launchedAt: i.launchTime?.toISOString(),
    ageMs,
    expiresAt: i.expiresAt?.toISOString(),
    timeLeftMs: i.expiresAt ? i.expiresAt.getTime() - now.getTime() : undefined,
    volumeGiB,
    hourlyUsd: knownPrice ? hourlyCost(i.instanceType, volumeGiB) : undefined,
    costSoFarUsd: knownPrice && ageMs !== undefined ? costFor(i.instanceType, volumeGiB, ageMs) : undefined,
  };
}

/** Prices are known for pillbox's own list of types only; anything else shows no cost rather than a wrong one. */
function safeHourly(instanceType: string, volumeGiB: number): boolean {
  try {
    hourlyCost(instanceType, volumeGiB);
    return true;
  } catch {
    return false;
  }
}

/** The human report: one block per environment. */
export function renderStatus(statuses: EnvStatus[], region: string, now: Date, timeZone: string): string {
  if (statuses.length === 0) return `No pillbox environments in ${region}. Create one with \`npm run provision\`.\n`;
  const blocks = statuses.map((s) => {
    const rows: [string, string][] = [];
    rows.push(['url', s.url ?? '—']);
    if (s.gitSha) rows.push(['commit', s.gitSha.slice(0, 7)]);
    if (s.launchedAt && s.ageMs !== undefined) rows.push(['age', `${formatDuration(s.ageMs)} (launched ${formatUtc(new Date(s.launchedAt))})`]);
    if (s.expiresAt) {
      const at = new Date(s.expiresAt);
      const left = formatTimeLeft(at, now);
      rows.push(['expires', `${left === 'expired' ? 'expired' : `in ${left}`} — ${formatUtc(at)} (${formatLocal(at, timeZone)})`]);
    } else {
      rows.push(['expires', 'no ExpiresAt tag']);
    }
    rows.push(['cost', s.costSoFarUsd !== undefined && s.hourlyUsd !== undefined ? `${usd(s.costSoFarUsd)} so far (on-demand estimate, ${usd(s.hourlyUsd)}/h)` : 'unknown for this instance type']);
    rows.push(['services', s.services ? s.services.map((x) => `${x.service} ${healthWord(x)}`).join(' · ') || 'none running' : `— ${s.servicesNote ?? ''}`]);
    const width = Math.max(...rows.map(([k]) => k.length));
    return [`${s.env}  ${s.instanceId}  ${s.state}  ${s.instanceType}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
  });
  return `pillbox environments in ${region} (${statuses.length})\n\n${blocks.join('\n\n')}\n`;
}
