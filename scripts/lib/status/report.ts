// `npm run status`: what AWS says about each environment, plus what the box says about its services.

import { paginateDescribeVolumes, type EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { findInstances, type EnvInstance } from '../aws/environment.js';
import { expiryScheduleTime } from '../aws/expiry-schedule.js';
import { composePsCommand, healthWord, parseComposePs, type ServiceHealth } from '../box/compose-health.js';
import { readEdgeMode, type EdgeMode } from '../box/edge-certificate.js';
import { EXPIRE_TIMER } from '../box/layout.js';
import { runWithFullOutput, ssmRunner } from '../box/ssm-output.js';
import { awsErrorName } from '../core/aws-errors.js';
import type { Clock } from '../core/clock.js';
import { errorSummary, OperatorError } from '../core/operator-error.js';
import { HOURS_PER_MONTH } from '../core/long-lived.js';
import { costFor, hourlyCost, isAllowedInstanceType, stoppedCostFor, storageHourly, usd } from '../core/pricing.js';
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
  /** The hourly rate over a month (730 h): what keeping the box costs. */
  monthlyUsd?: number;
  costSoFarUsd?: number;
  services?: ServiceHealth[];
  /** Why services are missing (box not running, SSM agent offline, ...). */
  servicesNote?: string;
  /** HTTPS with the certificate's expiry, or plain HTTP and why; read when the services were. */
  edge?: EdgeMode | { error: string };
  /** The two expiry guards: when each fires, or why it is not known to be armed. */
  guards?: Guards;
}

export interface Guards {
  /** The Scheduler one-shot's time (ISO 8601), 'missing', or `unknown (<error>)` when it could not be read. */
  offBox: string;
  /** What systemd on the box says of its expiry timer's next run, or why it is unknown. */
  onBox: string;
}

export interface StatusDeps {
  ec2: EC2Client;
  ssm: SSMClient;
  scheduler: SchedulerClient;
  now: () => Date;
  /** Hex ids for the output files on the boxes. */
  newId: () => string;
  /** Paces the SSM polls; a fake in tests. */
  clock?: Clock;
}

/** Volume sizes by instance, from one paged DescribeVolumes. */
async function volumeSizes(ec2: EC2Client, instanceIds: string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (instanceIds.length === 0) return sizes;
  for await (const page of paginateDescribeVolumes({ client: ec2 }, { Filters: [{ Name: 'attachment.instance-id', Values: instanceIds }] })) {
    for (const v of page.Volumes ?? []) {
      const id = v.Attachments?.[0]?.InstanceId;
      if (id) sizes.set(id, (sizes.get(id) ?? 0) + (v.Size ?? 0));
    }
  }
  return sizes;
}

async function boxServices(deps: StatusDeps, instanceId: string): Promise<Pick<EnvStatus, 'services' | 'servicesNote'>> {
  try {
    const run = ssmRunner(deps.ssm, instanceId, { timeoutSeconds: 60, ...(deps.clock ? { clock: deps.clock } : {}) });
    const result = await runWithFullOutput(run, composePsCommand(), { id: deps.newId(), timeoutSeconds: 60 });
    if (result.exitCode !== 0) return { servicesNote: `docker compose ps failed: ${result.stderr.trim().split('\n').at(-1) ?? `exit ${result.exitCode}`}` };
    return { services: parseComposePs(result.stdout) };
  } catch (err) {
    if (awsErrorName(err) === 'InvalidInstanceId') return { servicesNote: 'SSM agent not online yet (booting?), services unknown' };
    if (err instanceof OperatorError) return { servicesNote: err.message };
    throw err;
  }
}

/** The box's expiry timer's next run, as systemd prints it (empty when the timer is not armed). */
export const expiryTimerProbe = ['systemctl', 'show', '--property=NextElapseUSecRealtime', '--value', EXPIRE_TIMER];

async function onBoxGuard(deps: StatusDeps, instanceId: string): Promise<string> {
  const run = ssmRunner(deps.ssm, instanceId, { timeoutSeconds: 60, ...(deps.clock ? { clock: deps.clock } : {}) });
  const result = await run(expiryTimerProbe, { timeoutSeconds: 60 }).catch((err: unknown) => ({ exitCode: 1, stdout: '', stderr: errorSummary(err) }));
  const next = result.stdout.trim();
  if (result.exitCode !== 0) return `unknown (${result.stderr.trim().split('\n').at(-1) ?? `exit ${result.exitCode}`})`;
  return next && next !== 'n/a' ? next : `NOT armed: ${EXPIRE_TIMER} has no next run`;
}

/** Every live environment in the region (or the one named), newest first. */
/** The Scheduler one-shot's time; a caller without scheduler:GetSchedule still gets the rest of the status. */
async function offBoxGuard(scheduler: StatusDeps['scheduler'], env: string, instanceId: string): Promise<string> {
  try {
    const at = await expiryScheduleTime(scheduler, env, instanceId);
    return at ? at.toISOString() : 'missing';
  } catch (err) {
    return `unknown (${awsErrorName(err) || 'error'})`;
  }
}

export async function collectStatus(deps: StatusDeps, env?: string): Promise<EnvStatus[]> {
  const instances = await findInstances(deps.ec2, env);
  const sizes = await volumeSizes(
    deps.ec2,
    instances.map((i) => i.id),
  );
  const now = deps.now();
  return Promise.all(
    instances.map(async (i) => {
      const offBox = await offBoxGuard(deps.scheduler, i.env, i.id);
      const base = describe(i, now, sizes.get(i.id));
      if (i.state !== 'running') return { ...base, guards: { offBox, onBox: `unknown (instance is ${i.state})` }, servicesNote: `instance is ${i.state}` };
      const box = await boxServices(deps, i.id);
      if (!box.services) return { ...base, ...box, guards: { offBox, onBox: 'unknown (the SSM agent does not answer)' } };
      const guards = { offBox, onBox: await onBoxGuard(deps, i.id) };
      const run = ssmRunner(deps.ssm, i.id, { timeoutSeconds: 60, ...(deps.clock ? { clock: deps.clock } : {}) });
      const edge = await readEdgeMode(run, now);
      // The site the edge serves (the domain, or the IP its certificate names), in the scheme it serves it.
      return { ...base, ...box, edge, guards, url: ('url' in edge && edge.url) || base.url };
    }),
  );
}

function appUrl(i: EnvInstance): string | undefined {
  // The address provision prints; the EC2 DNS name only when there is no public IPv4 to show.
  const host = i.publicIp ?? i.publicDns;
  return host ? `http://${host}/` : undefined;
}

function describe(i: EnvInstance, now: Date, volumeGiB: number | undefined): EnvStatus {
  const ageMs = i.launchTime ? now.getTime() - i.launchTime.getTime() : undefined;
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
    ...cost(i, now, volumeGiB),
  };
}

/**
 * On-demand estimate. A stopped box bills its volume only (EC2 releases its public IPv4 on
 * stop): running from launch until it stopped, storage since. Types off pillbox's list, or
 * a stop time EC2 did not state, show no figure rather than a wrong one.
 */
function cost(i: EnvInstance, now: Date, volumeGiB: number | undefined): Pick<EnvStatus, 'hourlyUsd' | 'monthlyUsd' | 'costSoFarUsd'> {
  const sofar = costSoFar(i, now, volumeGiB);
  return sofar.hourlyUsd === undefined ? sofar : { ...sofar, monthlyUsd: sofar.hourlyUsd * HOURS_PER_MONTH };
}

function costSoFar(i: EnvInstance, now: Date, volumeGiB: number | undefined): Pick<EnvStatus, 'hourlyUsd' | 'costSoFarUsd'> {
  if (volumeGiB === undefined || !isAllowedInstanceType(i.instanceType) || !i.launchTime) return {};
  const launched = i.launchTime.getTime();
  if (i.state !== 'stopped') return { hourlyUsd: hourlyCost(i.instanceType, volumeGiB), costSoFarUsd: costFor(i.instanceType, volumeGiB, now.getTime() - launched) };
  const hourlyUsd = storageHourly(volumeGiB);
  if (!i.stoppedAt) return { hourlyUsd };
  const stopped = i.stoppedAt.getTime();
  return { hourlyUsd, costSoFarUsd: stoppedCostFor(i.instanceType, volumeGiB, stopped - launched, now.getTime() - stopped) };
}

function costText(s: EnvStatus): string {
  if (s.hourlyUsd === undefined) return 'unknown for this instance type';
  const rate = s.state === 'stopped' ? `${usd(s.hourlyUsd)}/h while stopped: the volume only` : `${usd(s.hourlyUsd)}/h with the volume and public IPv4`;
  return s.costSoFarUsd === undefined ? `unknown so far (${rate})` : `${usd(s.costSoFarUsd)} so far (on-demand estimate, ${rate})`;
}

/** The human report: one block per environment. */
export function renderStatus(statuses: EnvStatus[], region: string, now: Date, timeZone: string): string {
  if (statuses.length === 0) return `No pillbox environments in ${region}. Create one with \`npm run provision\`.\n`;
  const blocks = statuses.map((s) => {
    const rows: [string, string][] = [];
    rows.push(['url', s.url ?? '—']);
    if (s.edge) rows.push(['edge', 'error' in s.edge ? `could not be read: ${s.edge.error}` : s.edge.summary]);
    if (s.gitSha) rows.push(['commit', s.gitSha.slice(0, 7)]);
    if (s.launchedAt && s.ageMs !== undefined) rows.push(['age', `${formatDuration(s.ageMs)} (launched ${formatUtc(new Date(s.launchedAt))})`]);
    if (s.expiresAt) {
      const at = new Date(s.expiresAt);
      const left = formatTimeLeft(at, now);
      rows.push(['expires', `${left === 'expired' ? 'expired' : `in ${left}`} — ${formatUtc(at)} (${formatLocal(at, timeZone)})`]);
    } else {
      rows.push(['expires', 'no ExpiresAt tag']);
    }
    if (s.guards) {
      const offBox =
        s.guards.offBox === 'missing'
          ? 'off-box MISSING (`npm run extend -- --hours 1` or `npm run provision` re-arms it)'
          : s.guards.offBox.startsWith('unknown')
            ? `off-box ${s.guards.offBox}`
            : `off-box ${formatUtc(new Date(s.guards.offBox))}`;
      rows.push(['guards', `box timer ${s.guards.onBox} · ${offBox}`]);
    }
    rows.push(['cost', costText(s)]);
    if (s.monthlyUsd !== undefined) rows.push(['monthly', `${usd(s.monthlyUsd)} a month at this rate${s.state === 'stopped' ? ' (stopped: the volume only)' : ''}`]);
    rows.push(['services', s.services ? s.services.map((x) => `${x.service} ${healthWord(x)}`).join(' · ') || 'none running' : `— ${s.servicesNote ?? ''}`]);
    const width = Math.max(...rows.map(([k]) => k.length));
    return [`${s.env}  ${s.instanceId}  ${s.state}  ${s.instanceType}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
  });
  return `pillbox environments in ${region} (${statuses.length})\n\n${blocks.join('\n\n')}\n`;
}
