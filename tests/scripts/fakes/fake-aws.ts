// An in-memory AWS account behind aws-sdk-client-mock, as hard as the real one: every
// command the CLI sends is answered from (and changes) one world on the test's fake clock.
// Instances go pending → running and shutting-down → terminated over time, and are
// briefly unknown to DescribeInstances after launch; an instance profile reaches EC2
// seconds after IAM made it; the SSM agent comes online late; every invocation is unknown
// on its first poll and in progress on the next; every list and describe pages (EC2's
// filtered describes with an empty first page); a terminated instance's network interface
// holds its security group a while longer; a new bucket answers HeadBucket late
// (fake-s3.ts); each box has a database its data commands act on (fake-data-box.ts).
// Faults, throttling bursts and crashes are injected per command. Errors carry the names
// SDK v3 gives them (IAM's, SSM's and S3's modeled exception classes; EC2's wire codes).
import { EC2Client } from '@aws-sdk/client-ec2';
import * as ec2 from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import * as iam from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as ssm from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import * as scheduler from '@aws-sdk/client-scheduler';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { parse as parseYaml } from 'yaml';
import type { AwsClients } from '../../../scripts/lib/core/aws-clients.js';
import { BOOTSTRAP_BIN, BOOTSTRAP_STATUS, EXPIRE_DROP_IN, SSM_AGENT_LOG } from '../../../scripts/lib/box/layout.js';
import { awsError } from './aws-error.js';
import { boxReplies, invocationAnswer, type Reply } from './fake-box.js';
import { fakeClock, type FakeClock } from './fake-clock.js';
import { answerData, boxData, type BoxData } from './fake-data-box.js';
import { answerS3, type FakeBucket } from './fake-s3.js';
import { answerTagging } from './fake-tagging.js';
import { agentActionsDenied } from './fake-ssm-agent.js';
import { checkInlinePolicy, checkSchedule, checkTrustPolicy, duplicateIngress } from './fake-validation.js';

export { awsError };

type Tags = { Key?: string; Value?: string }[];

/** One `docker compose ps --format json` object, as compose prints it (labels included). */
export type PsEntry = Record<string, unknown>;

/** What the box answers; each instance takes a copy of the world's at launch. */
export interface BoxState {
  cloudInitExit: number;
  /** What bootstrapReport prints: the bootstrap's status file, the separator, its log's last lines. */
  bootstrapReport?: string;
  unitState: string;
  services: PsEntry[];
  readyz: string;
  /** What the edge probe prints: `site <name>`, then the PEM of each certificate Caddy holds for it. */
  edge: string;
  /** The OnCalendar value the expiry timer's drop-in holds, once a move wrote it. */
  expiryTimer?: string;
  /** The range the box's edge enforces, once provision has set it on the running box (caddy reload with it). */
  edgeRange?: string;
  /** PILLBOX_ALLOWED_CIDR in the box's settings: from its user-data at launch; none on a box from before the edge knew it. */
  settingsRange?: string;
  /** What `caddy reload` answers on the box, when it fails. */
  edgeReloadError?: string;
  /** The box's database and its data commands. */
  data: BoxData;
  /** The SSM agent stopped answering (the box hangs, or its network is gone). */
  agentLost?: boolean;
  /** Until then (fake ms) the agent still looks Online but cannot be reached: commands are accepted and wait (deferredAnswer). */
  agentUnreachableUntil?: number;
  /** What the instance's serial console shows (GetConsoleOutput). */
  consoleOutput?: string;
  /** How long the expiry service's last backup runs before the box powers off (fireExpiryGuards); unset: the box never armed its timer. */
  expiryBackupMs?: number;
  /** What became of the last backup at expiry: taken, stopped by its own limit, or cut by a terminate while it ran. */
  lastBackup?: 'taken' | 'timed-out' | 'cut';
  /** pillbox-expire.service as the user-data's bootcmd writes it (RunInstances); the fake runs what it says. */
  expireUnit?: string;
}

/** The range a launched box's settings carry: the line its user-data (base64 of gzip) writes. */
function launchedRange(userData: string | undefined): string | undefined {
  if (!userData) return undefined;
  return /^\s*PILLBOX_ALLOWED_CIDR=(\S+)$/m.exec(gunzipSync(Buffer.from(userData, 'base64')).toString('utf8'))?.[1];
}

export interface FakeInstance {
  id: string;
  /** As of the last call the world answered (see tick). */
  state: string;
  type: string;
  tags: Tags;
  groupIds: string[];
  publicIp: string;
  volumeGb: number;
  /** The root volume, at /dev/xvda. */
  volumeId: string;
  creditMode?: string;
  clientToken?: string;
  /** The instance profile it was launched with; its role's policies decide whether the agent registers (fake-ssm-agent.ts). */
  profile?: string;
  launchedAt: number;
  terminatingAt?: number;
  box: BoxState;
}

/** How long AWS takes, in milliseconds of the fake clock. */
export interface Timing {
  pendingMs: number;
  /** After RunInstances, DescribeInstances by id answers InvalidInstanceID.NotFound this long. */
  describeLagMs: number;
  shuttingDownMs: number;
  /** After terminated, the network interface keeps the security group in use this long. */
  eniDetachMs: number;
  /** After its role is added, EC2 refuses the instance profile this long. */
  profileVisibleMs: number;
  /** After running, the SSM agent registers this late. */
  agentOnlineMs: number;
  /** After CreateBucket, HeadBucket answers NotFound this long. */
  bucketVisibleMs: number;
  /** After CreateRole, EventBridge Scheduler cannot assume the role this long (IAM is eventually consistent). */
  roleAssumableMs: number;
  /** After terminated, DescribeInstances still lists the instance this long (about an hour on EC2). */
  terminatedVisibleMs: number;
  /** After PutRolePolicy, the role's callers still get AccessDenied from SSM this long (agentRegisteredAt). */
  policyEffectiveMs?: number;
  /** From running to the end of the first boot's bootstrap (where it may restart the agent). */
  bootstrapMs?: number;
}

export const AWS_TIMING: Timing = { pendingMs: 30_000, describeLagMs: 3_000, shuttingDownMs: 40_000, eniDetachMs: 20_000, profileVisibleMs: 12_000, agentOnlineMs: 45_000, bucketVisibleMs: 3_000, roleAssumableMs: 8_000, terminatedVisibleMs: 3_600_000 };

interface Burst {
  command: string;
  /** Armed once this command has been called (the burst hits a later phase). */
  after?: string;
  armed: boolean;
  remaining: number;
}

/** Role names are unique in the account whatever the path. */
export interface FakeRole {
  path: string;
  /** The trust policy as CreateRole received it. */
  trust: string;
  tags: Tags;
  policies: Map<string, string>;
  attached: string[];
  boundary?: string;
  /** Fake time of CreateRole: a new role is not assumable at once. */
  createdAt?: number;
}

export interface World {
  clock: FakeClock;
  /** aws, aws-cn or aws-us-gov: the ARNs the account answers with and accepts. */
  partition: string;
  region: string;
  accountId: string;
  vpcId: string;
  amiId: string;
  instances: FakeInstance[];
  groups: { id: string; name: string; vpcId: string; tags: Tags }[];
  rules: { id: string; groupId: string; port: number; cidr: string }[];
  addresses: { allocationId: string; publicIp: string; tags: Tags; instanceId?: string }[];
  roles: Map<string, FakeRole>;
  /** EventBridge Scheduler schedules by name, as last created or updated. */
  schedules: Map<string, scheduler.CreateScheduleCommandInput>;
  /** `path` is `/` unless set (provision makes none other). */
  profiles: Map<string, { tags: Tags; roles: string[]; visibleAt: number; path?: string }>;
  params: Map<string, { value: string; type: string; tags: Tags }>;
  /** What the tagging API's index still reports for parameter names (fake-tagging.ts). */
  formerTags?: Map<string, Tags>;
  buckets: Map<string, FakeBucket>;
  unofferedTypes: string[];
  timing: Timing;
  /** Items per page of every list and describe. */
  pageSize: number;
  /** What a newly launched box answers. */
  box: BoxState;
  sentScripts: string[][];
  faults: Map<string, Error[]>;
  bursts: Burst[];
  /** The process dies at this call: it takes effect in AWS, then every later call fails. */
  crash?: { command: string; occurrence: number };
  dead: boolean;
  calls: Map<string, number>;
  /** pillbox-boundary was never created (answerBoundary). */
  boundaryMissing?: boolean;
  /** Commands whose next call takes effect but loses its answer (loseAnswer). */
  lostAnswers?: string[];
  /** Scripts an agent ran after it came back, long after they were sent (deferredAnswer). */
  ranLate?: string[][];
  /** Commands waiting for an agent that cannot be reached, by CommandId; delivered as the clock runs (tick). */
  deferredCommands?: Map<string, DeferredCommand>;
  /** Every command the world answered or refused, in order across the services. */
  log: string[];
  /** Runs before each command is answered: another actor changing the account meanwhile. */
  onCall?: (command: string) => void;
  /** More of what a box answers (e.g. fake-app-box.ts: the app's release and its swap), asked before the fallback. */
  boxAnswers?: ((instance: FakeInstance, line: string) => Reply | undefined)[];
  /** What the SSM agent model needs (noteForAgent): when each role's policy was last written, each instance's role and user-data. */
  agentFacts?: { policyAt: Map<string, number[]>; instances: Map<string, { role?: string; restartsAgent: (log: string) => boolean }> };
}

/** Healthy services as compose prints them, labels and all (the Elastic images carry many). */
export const healthyServices = (): PsEntry[] => [
  { Service: 'app', State: 'running', Health: 'healthy', ExitCode: 0, Publishers: null, Labels: 'com.docker.compose.project=pillbox' },
  { Service: 'elasticsearch', State: 'running', Health: 'healthy', ExitCode: 0, Publishers: null, Labels: 'org.opencontainers.image.vendor=Elastic' },
  { Service: 'setup', State: 'exited', Health: '', ExitCode: 0, Publishers: null, Labels: 'com.docker.compose.oneoff=False' },
];

export function aWorld(overrides: Partial<World> = {}): World {
  return {
    clock: fakeClock(),
    partition: 'aws',
    region: 'eu-west-1',
    accountId: '123456789012',
    vpcId: 'vpc-default1',
    amiId: 'ami-0al2023',
    instances: [],
    groups: [],
    rules: [],
    addresses: [],
    roles: new Map(),
    schedules: new Map(),
    profiles: new Map(),
    params: new Map(),
    buckets: new Map(),
    unofferedTypes: [],
    timing: { ...AWS_TIMING },
    pageSize: 1,
    box: { cloudInitExit: 0, unitState: 'active', services: healthyServices(), readyz: '200', edge: 'site 203.0.113.10\n', data: boxData() },
    sentScripts: [],
    faults: new Map(),
    bursts: [],
    dead: false,
    calls: new Map(),
    log: [],
    ...overrides,
  };
}

/** The next `times` calls of `command` (e.g. 'RunInstances') fail with `error`. */
export function failNext(world: World, command: string, error: Error, times = 1): void {
  world.faults.set(command, [...(world.faults.get(command) ?? []), ...Array.from({ length: times }, () => error)]);
}

/** The next call of `command` takes effect in AWS, but its answer never reaches the CLI. */
export function loseAnswer(world: World, command: string): void {
  (world.lostAnswers ??= []).push(command);
}

function takeLostAnswer(world: World, command: string): boolean {
  const at = world.lostAnswers?.indexOf(command) ?? -1;
  if (at >= 0) world.lostAnswers?.splice(at, 1);
  return at >= 0;
}

/** The throttling error each service answers with once the SDK's retries are spent. */
const THROTTLED: Record<string, string> = { ec2: 'RequestLimitExceeded', ssm: 'ThrottlingException', iam: 'Throttling', sts: 'Throttling', scheduler: 'ThrottlingException', s3: 'SlowDown', tagging: 'ThrottledException' };

/** `times` calls of `command` are throttled, starting with the first one after `after` was called (or now). */
export function throttleBurst(world: World, command: string, times: number, after?: string): void {
  world.bursts.push({ command, after, armed: after === undefined, remaining: times });
}

const tagOf = (tags: Tags, key: string) => tags.find((t) => t.Key === key)?.Value;
const tagsFor = (specs: { ResourceType?: string; Tags?: Tags }[] | undefined, type: string): Tags => specs?.find((s) => s.ResourceType === type)?.Tags ?? [];
let counter = 0;
const nextId = (prefix: string) => `${prefix}-${(++counter).toString(16).padStart(8, '0')}`;

function matchesFilters(tags: Tags, filters: { Name?: string; Values?: string[] }[] | undefined, fields: Record<string, string>): boolean {
  return (filters ?? []).every((f) => {
    const name = f.Name ?? '';
    const value = name.startsWith('tag:') ? tagOf(tags, name.slice(4)) : fields[name];
    if (value === undefined) throw new Error(`fake AWS does not know the filter ${name}`);
    return (f.Values ?? []).includes(value);
  });
}

/** One page of `items` from `token`; EC2's filtered describes first answer an empty page. */
function page<T>(world: World, items: T[], token: string | undefined, emptyFirst = false): { items: T[]; next?: string } {
  if (token === undefined && emptyFirst) return { items: [], next: 'page-0' };
  const from = token === undefined ? 0 : Number(token.replace('page-', ''));
  if (Number.isNaN(from)) throw awsError('InvalidNextToken', `bad token ${token}`);
  const to = from + world.pageSize;
  return { items: items.slice(from, to), next: to < items.length ? `page-${to}` : undefined };
}

/** The time an `at(yyyy-mm-ddThh:mm:ss)` schedule fires (UTC, as the CLI sets its zone). */
const scheduleTime = (s: scheduler.CreateScheduleCommandInput): number | undefined => {
  const at = /^at\((.+)\)$/.exec(s.ScheduleExpression ?? '')?.[1];
  return at === undefined ? undefined : Date.parse(`${at}Z`);
};

/** When the box's expiry timer fires: its drop-in as last moved, else the ExpiresAt it booted with. */
const timerTime = (i: FakeInstance): number | undefined => {
  const at = i.box.expiryTimer ? i.box.expiryTimer.replace(' UTC', 'Z').replace(' ', 'T') : tagOf(i.tags, 'ExpiresAt');
  return at === undefined ? undefined : Date.parse(at);
};

/** pillbox-expire.service as systemd shows it: activating from its timer until the poweroff. */
function expiryServiceState(world: World, i: FakeInstance): string {
  const timer = timerTime(i);
  const run = timer === undefined ? undefined : expiryRun(i, timer);
  const now = world.clock.now();
  return timer !== undefined && run !== undefined && timer <= now && now < run.poweroffAt ? 'activating' : 'inactive';
}

/** What systemd prints for the expiry timer's next run (`n/a` when it has none). */
function expiryTimerNext(i: FakeInstance): string {
  const at = timerTime(i);
  return at === undefined ? 'n/a' : `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The expiry service's unit, from the heredoc in the user-data's bootcmd (as cloud-init hands it to sh). */
function expireUnitOf(userData: string): string | undefined {
  const bootcmd = userData ? ((parseYaml(userData) as { bootcmd?: unknown[] } | null)?.bootcmd ?? []) : [];
  const script = bootcmd.filter((c): c is string => typeof c === 'string').join('\n');
  return /cat >\S*pillbox-expire\.service <<'UNIT'\n([\s\S]*?)\nUNIT\n/.exec(script)?.[1];
}

const unitMinutes = (unit: string, pattern: RegExp): number | undefined => {
  const m = pattern.exec(unit)?.[1];
  return m === undefined ? undefined : Number(m) * 60_000;
};

/**
 * How the expiry service ends, as systemd runs its unit: `timeout N m` stops the backup
 * (ExecStartPre's "-" ignores that exit); past TimeoutStartSec systemd fails the unit, so
 * ExecStart's poweroff never runs, and only FailureAction=poweroff powers the box off then.
 * Undefined when the box never armed its timer.
 */
function expiryRun(i: FakeInstance, timer: number): { poweroffAt: number; backup: 'taken' | 'timed-out' } | undefined {
  const unit = i.box.expireUnit;
  const backupMs = i.box.expiryBackupMs;
  if (unit === undefined || backupMs === undefined) return undefined;
  const limit = unitMinutes(unit, /^ExecStartPre=-?\/usr\/bin\/timeout (?:--kill-after=\d+s )?(\d+)m /m) ?? Infinity;
  const startTimeout = unitMinutes(unit, /^TimeoutStartSec=(\d+)min$/m) ?? 90_000;
  const ran = Math.min(backupMs, limit);
  const backup = ran < backupMs ? 'timed-out' : 'taken';
  if (ran <= startTimeout) return { poweroffAt: timer + ran, backup };
  return { poweroffAt: /^FailureAction=poweroff$/m.test(unit) ? timer + startTimeout : Infinity, backup: 'timed-out' };
}

/**
 * The two expiry guards in fake time. The box's timer starts the expiry service: a last
 * backup taking expiryBackupMs, then poweroff (shutdown behaviour terminate). The Scheduler's
 * one-shot terminates its target at its time and deletes itself (ActionAfterCompletion
 * DELETE); if that lands while the backup runs, the backup is cut.
 */
export function fireExpiryGuards(world: World): void {
  const now = world.clock.now();
  for (const [name, s] of world.schedules) {
    const at = scheduleTime(s);
    if (at === undefined || at > now || s.State === 'DISABLED') continue;
    const ids = (JSON.parse(s.Target?.Input ?? '{}') as { InstanceIds?: string[] }).InstanceIds ?? [];
    for (const i of world.instances.filter((x) => ids.includes(x.id) && x.terminatingAt === undefined)) {
      const timer = timerTime(i);
      const poweroff = timer === undefined ? undefined : expiryRun(i, timer)?.poweroffAt;
      if (poweroff !== undefined && poweroff <= at) continue;
      i.terminatingAt = at;
      if (timer !== undefined && timer <= at) i.box.lastBackup = 'cut';
    }
    world.schedules.delete(name);
  }
  for (const i of world.instances) {
    const timer = timerTime(i);
    if (i.terminatingAt !== undefined || timer === undefined || i.state === 'stopped') continue;
    const run = expiryRun(i, timer);
    if (run === undefined || run.poweroffAt > now) continue;
    i.terminatingAt = run.poweroffAt;
    i.box.lastBackup = run.backup;
  }
}

/** The agent's long sleep after AccessDenied: 25 min plus up to 5 min of jitter (getLongSleepDuration); the fake takes the shortest. */
const AGENT_LONG_SLEEP_MS = 25 * 60_000;

/** RunInstances' user-data as cloud-init reads it (base64 of gzip). */
const userDataText = (run: ec2.RunInstancesCommandInput): string => (run.UserData ? gunzipSync(Buffer.from(run.UserData, 'base64')).toString() : '');

/** Records what the agent model reads: policy writes, and each launch's role and whether its bootstrap restarts the agent. */
function noteForAgent(world: World, name: string, input: unknown, out: unknown): void {
  const facts = (world.agentFacts ??= { policyAt: new Map(), instances: new Map() });
  if (name === 'PutRolePolicy') {
    const role = (input as iam.PutRolePolicyCommandInput).RoleName ?? '';
    facts.policyAt.set(role, [...(facts.policyAt.get(role) ?? []), world.clock.now()]);
  }
  if (name === 'RunInstances') {
    const run = input as ec2.RunInstancesCommandInput;
    const id = (out as ec2.RunInstancesCommandOutput).Instances?.[0]?.InstanceId ?? '';
    const userData = userDataText(run);
    const role = world.profiles.get(run.IamInstanceProfile?.Name ?? '')?.roles[0];
    facts.instances.set(id, { role, restartsAgent: agentWakeCheck(userData) });
  }
}

/**
 * The bootstrap's own test of the agent's log (its agent_backed_off function), run by bash on
 * a log the fake writes: true means the bootstrap restarts the agent at its end.
 */
function agentWakeCheck(userData: string): (log: string) => boolean {
  const files = userData ? ((parseYaml(userData) as { write_files?: { path: string; content: string }[] } | null)?.write_files ?? []) : [];
  const script = files.find((f) => f.path === BOOTSTRAP_BIN)?.content ?? '';
  const fn = /^agent_backed_off\(\) \{\n[\s\S]*?\n\}$/m.exec(script)?.[0];
  const seen = new Map<string, boolean>();
  return (log) => {
    if (fn === undefined) return false;
    if (!seen.has(log)) {
      const dir = mkdtempSync(join(tmpdir(), 'agent-log-'));
      writeFileSync(join(dir, 'agent.log'), log);
      const run = spawnSync('bash', ['-c', `${fn.split(SSM_AGENT_LOG).join(join(dir, 'agent.log'))}\nagent_backed_off`]);
      rmSync(dir, { recursive: true, force: true });
      seen.set(log, run.status === 0);
    }
    return seen.get(log) ?? false;
  };
}

/** Lines as the agent logs them (amazon-ssm-agent 3.3.1142.0: credentialrefresher.go:253, ec2_role_provider.go:137). */
const agentLog = {
  backoff: '2026-11-21 10:01:15 INFO [credentialRefresher] Sleeping for 27m13s before retrying retrieve credentials\n',
  connected: '2026-11-21 10:28:28 INFO [EC2RoleProvider] Successfully connected with instance profile role credentials\n',
};

/**
 * When the SSM agent registers (amazon-ssm-agent 3.3.1142.0, as at 3.3.987.0): it checks its role's credentials
 * with UpdateInstanceInformation as it starts (ec2roleprovider); while the role's policy is not
 * in effect that is AccessDenied and it sleeps 25-30 min (credentialrefresher), unless the
 * bootstrap restarts it first.
 */
export function agentRegisteredAt(world: World, i: FakeInstance): number {
  const first = i.launchedAt + world.timing.pendingMs + world.timing.agentOnlineMs;
  const facts = world.agentFacts?.instances.get(i.id);
  // The policy the box launched with; a later rewrite leaves credentials already checked alone.
  const written = (facts?.role === undefined ? [] : (world.agentFacts?.policyAt.get(facts.role) ?? [])).filter((t) => t <= i.launchedAt).at(-1);
  const effective = written === undefined ? -Infinity : written + (world.timing.policyEffectiveMs ?? 0);
  if (first >= effective) return first;
  let retry = first + AGENT_LONG_SLEEP_MS;
  while (retry < effective) retry += AGENT_LONG_SLEEP_MS;
  const bootstrapEnd = i.launchedAt + world.timing.pendingMs + (world.timing.bootstrapMs ?? 180_000);
  // Its log as the bootstrap ends: a back-off per refused try, then the success if a retry came in time.
  const tries = Math.floor((Math.min(retry, bootstrapEnd + 1) - first) / AGENT_LONG_SLEEP_MS);
  const log = agentLog.backoff.repeat(tries + (retry <= bootstrapEnd ? 0 : 1)) + (retry <= bootstrapEnd ? agentLog.connected : '');
  if (retry > bootstrapEnd && bootstrapEnd >= effective && facts?.restartsAgent(log)) return bootstrapEnd;
  return retry;
}

/** States follow the clock: pending → running, shutting-down → terminated; expiry guards fire. */
export function tick(world: World): void {
  const now = world.clock.now();
  fireExpiryGuards(world);
  // An agent that came back picks up what is still waiting for it, whether or not anyone polls.
  for (const command of world.deferredCommands?.values() ?? []) deferredAnswer(world, command);
  for (const i of world.instances) {
    if (i.terminatingAt !== undefined) i.state = now >= i.terminatingAt + world.timing.shuttingDownMs ? 'terminated' : 'shutting-down';
    else if (i.state === 'pending' && now >= i.launchedAt + world.timing.pendingMs) i.state = 'running';
  }
}

/** Instances of an environment that still exist. */
export const liveInstances = (world: World, env = 'dev'): FakeInstance[] =>
  world.instances.filter((i) => tagOf(i.tags, 'Env') === env && i.state !== 'terminated' && i.state !== 'shutting-down');

/** Lets the fake clock run on, as the world would while nobody calls. */
export async function settle(world: World, ms = 120_000): Promise<void> {
  await world.clock.sleep(ms);
  tick(world);
}

/** Renders `docker compose ps` the way compose would for this format: json, or a Go template of {{.Field}} and {{json .Field}}. */
export function renderComposePs(services: PsEntry[], line: string): string {
  const format = /--format ('(?:[^']|'\\'')*'|\S+)$/.exec(line)?.[1] ?? '';
  const template = format.startsWith("'") ? format.slice(1, -1).replace(/'\\''/g, "'") : format;
  if (template === 'json') return services.map((s) => JSON.stringify(s)).join('\n');
  return services
    .map((s) => template.replace(/\{\{\s*json \.(\w+)\s*\}\}/g, (_, f: string) => JSON.stringify(s[f] ?? null)).replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, f: string) => String(s[f] ?? '')))
    .join('\n');
}

/** What `cloud-init status --long` prints for its exit code (23.4 on: 2 is done with recoverable errors). */
function cloudInitStatus(exit: number): string {
  if (exit === 0) return 'status: done\n';
  if (exit !== 2) return 'status: error\n';
  return 'status: done\nextended_status: degraded done\nboot_status_code: enabled-by-generator\ndetail:\nDataSourceEc2Local\nerrors: []\nrecoverable_errors:\nWARNING:\n\t- Deprecated cloud-config provided: chpasswd.list\n';
}

/** One line of a script on a fake box: its data commands first, then what the waits and moves ask. */
function boxLine(world: World, instance: FakeInstance, line: string): Reply {
  const box = instance.box;
  const data = answerData(world, tagOf(instance.tags, 'Env') ?? '', box.data, line);
  if (data) return data;
  if (line === 'cloud-init status --wait --long') return { exitCode: box.cloudInitExit, stdout: cloudInitStatus(box.cloudInitExit) };
  if (line === 'systemctl show --property=ActiveState --value pillbox.service') return { stdout: `${box.unitState}\n` };
  if (line === 'systemctl show --property=ActiveState --value pillbox-expire.service') return { stdout: `${expiryServiceState(world, instance)}\n` };
  if (/^docker compose .* ps --all --format /.test(line)) return { stdout: `${renderComposePs(box.services, line)}\n` };
  if (line.endsWith('/readyz')) return { stdout: box.readyz };
  if (line === 'systemctl show --property=NextElapseUSecRealtime --value pillbox-expire.timer') return { stdout: `${expiryTimerNext(instance)}\n` };
  if (line.includes('PILLBOX_SITE=')) return { stdout: box.edge };
  if (line.includes(` ${BOOTSTRAP_STATUS} `) && box.bootstrapReport !== undefined) return { stdout: box.bootstrapReport };
  // The expiry move (extend, provision --ttl-hours) rewrites the drop-in; the last OnCalendar= wins, as in systemd.
  if (line.includes(` ${EXPIRE_DROP_IN} `)) {
    box.expiryTimer = [...line.matchAll(/OnCalendar=(\d[^\n']*)/g)].at(-1)?.[1] ?? '';
    return { stdout: `${box.expiryTimer}\n` };
  }
  // The allowed range, as box/edge-reload.ts's script does it: nothing when the settings say it; a reload (while
  // the stack runs), then the settings, written only once the reload passed.
  const range = / sh \/etc\/pillbox\/pillbox\.env (\S+) \/opt\/pillbox\/compose\/caddy\/Caddyfile docker compose .*--env-file \/etc\/pillbox\/secrets\.env$/.exec(line);
  if (range && line.includes('PILLBOX_ALLOWED_CIDR=')) {
    const cidr = range[1]!;
    if (box.settingsRange === cidr) return { stdout: 'unchanged\n' };
    const running = box.unitState === 'active';
    if (running && box.edgeReloadError) return { exitCode: 1, stderr: box.edgeReloadError };
    if (running) box.edgeRange = cidr;
    box.settingsRange = cidr;
    return { stdout: running ? 'reloaded\n' : 'written\n' };
  }
  for (const answer of world.boxAnswers ?? []) {
    const reply = answer(instance, line);
    if (reply) return reply;
  }
  return { exitCode: 127, stderr: `fake box: no answer for ${line}` };
}

/** GetPolicy of the permissions boundary: provision checks it exists before creating anything. */
function answerBoundary(world: World, mock: AwsClientStub<IAMClient>, iamh: <I, O>(name: string, fn: (input: I) => O) => (input: I) => Promise<O>): void {
  mock.on(iam.GetPolicyCommand).callsFake(
    iamh('GetPolicy', (input: iam.GetPolicyCommandInput) => {
      if (world.boundaryMissing || input.PolicyArn !== `arn:${world.partition}:iam::${world.accountId}:policy/pillbox-boundary`) {
        throw new iam.NoSuchEntityException({ message: `Policy ${input.PolicyArn} was not found.`, $metadata: {} });
      }
      return { Policy: { PolicyName: 'pillbox-boundary', Arn: input.PolicyArn } };
    }),
  );
}

/** A command sent to an agent that cannot be reached, as SSM keeps it. */
interface DeferredCommand {
  lines: string[];
  sentAt: number;
  /** SendCommand's TimeoutSeconds (3600 when not given). */
  deliveryMs: number;
  target: FakeInstance;
  cancelledAt?: number;
  /** Runs the script on the box, once, when the agent picks it up. */
  run: () => Required<Reply>;
  reply?: Required<Reply>;
}

/**
 * While the agent cannot be reached: Pending, then Delayed once a delivery attempt failed
 * (the fake says so after 30 s; SSM documents no time). Neither is an end: SSM tries again
 * ("Understanding command statuses", monitor-commands.html), so it is delivered, late, if
 * the agent comes back before the delivery timeout and nobody cancelled it first; else
 * TimedOut (DeliveryTimedOut). A cancel shows Cancelling a few seconds, then Cancelled.
 */
const CANCEL_LAG_MS = 3_000;

function deferredAnswer(world: World, d: DeferredCommand) {
  const now = world.clock.now();
  const back = d.target.box.agentUnreachableUntil ?? 0;
  const expires = d.sentAt + d.deliveryMs;
  const deliveredAt = Math.max(back, d.sentAt);
  const cancelled = d.cancelledAt !== undefined && d.cancelledAt <= Math.min(deliveredAt, now);
  const empty = { ResponseCode: -1, StandardOutputContent: '', StandardErrorContent: '' };
  if (cancelled) {
    const status = now < (d.cancelledAt ?? 0) + CANCEL_LAG_MS ? 'Cancelling' : 'Cancelled';
    return { ...empty, Status: status, StatusDetails: status };
  }
  if (deliveredAt <= Math.min(now, expires)) {
    if (!d.reply) {
      d.reply = d.run();
      if (deliveredAt > d.sentAt) (world.ranLate ??= []).push(d.lines);
    }
    return invocationAnswer(d.reply, 2);
  }
  if (now >= expires) return { ...empty, Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut' };
  return { ...empty, Status: now < d.sentAt + 30_000 ? 'Pending' : 'Delayed', StatusDetails: now < d.sentAt + 30_000 ? 'Pending' : 'Delayed' };
}

export function fakeAws(world: World) {
  const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
  const clients: AwsClients = {
    ec2: new EC2Client({ region: world.region, credentials }),
    ssm: new SSMClient({ region: world.region, credentials }),
    iam: new IAMClient({ region: world.region, credentials }),
    sts: new STSClient({ region: world.region, credentials }),
    scheduler: new SchedulerClient({ region: world.region, credentials }),
    tagging: new ResourceGroupsTaggingAPIClient({ region: world.region, credentials }),
    kms: new KMSClient({ region: world.region, credentials }),
  };
  /** The project bucket's client, which the CLI makes apart from the others (createS3Client). */
  const s3 = new S3Client({ region: world.region, credentials });
  const mocks = {
    ec2: mockClient(clients.ec2),
    ssm: mockClient(clients.ssm),
    iam: mockClient(clients.iam),
    sts: mockClient(clients.sts),
    scheduler: mockClient(clients.scheduler),
    tagging: mockClient(clients.tagging),
    kms: mockClient(clients.kms),
    s3: mockClient(s3),
  };
  const unexpected = new Error('unexpected command in fake AWS');
  mocks.ec2.onAnyCommand().rejects(unexpected);
  mocks.ssm.onAnyCommand().rejects(unexpected);
  mocks.iam.onAnyCommand().rejects(unexpected);
  mocks.sts.onAnyCommand().rejects(unexpected);
  mocks.scheduler.onAnyCommand().rejects(unexpected);
  mocks.tagging.onAnyCommand().rejects(unexpected);
  mocks.s3.onAnyCommand().rejects(unexpected);
  const now = () => world.clock.now();

  // Wraps a handler with the clock, the crash, the fault queue and the throttling bursts of its command.
  const h =
    <I, O>(service: string, name: string, fn: (input: I) => O) =>
    async (input: I): Promise<O> => {
      tick(world);
      if (world.dead) throw awsError('ProcessKilled', 'the process running pillbox is gone');
      const n = (world.calls.get(name) ?? 0) + 1;
      world.calls.set(name, n);
      world.log.push(name);
      world.onCall?.(name);
      for (const b of world.bursts) if (b.after === name) b.armed = true;
      const burst = world.bursts.find((b) => b.command === name && b.armed && b.remaining > 0);
      if (burst) {
        burst.remaining -= 1;
        throw awsError(THROTTLED[service] ?? 'Throttling', 'Rate exceeded');
      }
      const fault = world.faults.get(name)?.shift();
      if (fault) throw fault;
      if (takeLostAnswer(world, name)) {
        fn(input);
        throw awsError('TimeoutError', `the answer to ${name} was lost (socket hang up)`);
      }
      if (world.crash?.command === name && world.crash.occurrence === n) {
        world.dead = true;
        try {
          void Promise.resolve(fn(input)).catch(() => undefined);
        } catch {
          // The call failed in AWS too; the process is gone either way.
        }
        throw awsError('ProcessKilled', `the process died during ${name}`);
      }
      const out = fn(input);
      noteForAgent(world, name, input, out);
      return out;
    };
  const ec2h = <I, O>(name: string, fn: (input: I) => O) => h('ec2', name, fn);
  const ssmh = <I, O>(name: string, fn: (input: I) => O) => h('ssm', name, fn);
  const iamh = <I, O>(name: string, fn: (input: I) => O) => h('iam', name, fn);

  // S3
  answerS3(mocks.s3, world, now, (name, fn) => h('s3', name, fn));

  // STS
  mocks.sts.on(GetCallerIdentityCommand).callsFake(h('sts', 'GetCallerIdentity', () => ({ Account: world.accountId, Arn: `arn:${world.partition}:iam::${world.accountId}:user/alice` })));

  // EC2
  /** A terminated instance drops out of DescribeInstances about an hour after it terminated. */
  const listed = (i: FakeInstance) => i.terminatingAt === undefined || now() < i.terminatingAt + world.timing.shuttingDownMs + world.timing.terminatedVisibleMs;
  const instance = (id: string): FakeInstance => {
    const found = world.instances.find((i) => i.id === id && listed(i));
    if (!found || now() < found.launchedAt + world.timing.describeLagMs) throw awsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return found;
  };
  const describe = (i: FakeInstance): ec2.Instance => ({
    InstanceId: i.id,
    State: { Name: i.state as ec2.InstanceStateName },
    InstanceType: i.type as ec2._InstanceType,
    Tags: i.tags,
    LaunchTime: new Date(i.launchedAt),
    PublicIpAddress: i.state === 'running' ? i.publicIp : undefined,
    SecurityGroups: i.groupIds.map((GroupId) => ({ GroupId })),
    RootDeviceName: '/dev/xvda',
    BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: i.volumeId, Status: 'attached' } }],
    ...(i.state === 'stopped' ? { StateTransitionReason: 'User initiated (2026-11-21 11:00:00 GMT)' } : {}),
  });
  mocks.ec2.on(ec2.DescribeInstancesCommand).callsFake(
    ec2h('DescribeInstances', (input: ec2.DescribeInstancesCommandInput) => {
      if (input.InstanceIds) return { Reservations: input.InstanceIds.map((id) => ({ Instances: [describe(instance(id))] })) };
      // A fresh launch is invisible to filters too for the describe lag (eventual consistency); a terminated one stays listed about an hour.
      const visible = world.instances.filter((i) => listed(i) && now() >= i.launchedAt + world.timing.describeLagMs);
      const found = visible.filter((i) => matchesFilters(i.tags, input.Filters, { 'instance-state-name': i.state, 'client-token': i.clientToken ?? '' }));
      const { items, next } = page(world, found, input.NextToken, true);
      return { Reservations: items.map((i) => ({ Instances: [describe(i)] })), NextToken: next };
    }),
  );
  mocks.ec2.on(ec2.DescribeVpcsCommand).callsFake(
    ec2h('DescribeVpcs', (input: ec2.DescribeVpcsCommandInput) => {
      const { items, next } = page(world, world.vpcId ? [{ VpcId: world.vpcId, IsDefault: true }] : [], input.NextToken, true);
      return { Vpcs: items, NextToken: next };
    }),
  );
  mocks.ec2.on(ec2.DescribeImagesCommand).callsFake(ec2h('DescribeImages', () => ({ Images: [{ ImageId: world.amiId, RootDeviceName: '/dev/xvda' }] })));
  mocks.ec2.on(ec2.DescribeInstanceTypeOfferingsCommand).callsFake(
    ec2h('DescribeInstanceTypeOfferings', (input: ec2.DescribeInstanceTypeOfferingsCommandInput) => {
      const type = input.Filters?.[0]?.Values?.[0] ?? '';
      const offered = world.unofferedTypes.includes(type) ? [] : [{ InstanceType: type as ec2._InstanceType, LocationType: 'region' as const, Location: world.region }];
      const { items, next } = page(world, offered, input.NextToken, true);
      return { InstanceTypeOfferings: items, NextToken: next };
    }),
  );
  mocks.ec2.on(ec2.DescribeSecurityGroupsCommand).callsFake(
    ec2h('DescribeSecurityGroups', (input: ec2.DescribeSecurityGroupsCommandInput) => {
      const found = world.groups
        .filter((g) => matchesFilters(g.tags, input.Filters, { 'group-name': g.name, 'vpc-id': g.vpcId }))
        .map((g) => ({
          GroupId: g.id,
          GroupName: g.name,
          VpcId: g.vpcId,
          Tags: g.tags,
          IpPermissions: world.rules.filter((r) => r.groupId === g.id).map((r) => ({ IpProtocol: 'tcp', FromPort: r.port, ToPort: r.port, IpRanges: [{ CidrIp: r.cidr }] })),
        }));
      const { items, next } = page(world, found, input.NextToken, true);
      return { SecurityGroups: items, NextToken: next };
    }),
  );
  mocks.ec2.on(ec2.DescribeSecurityGroupRulesCommand).callsFake(
    ec2h('DescribeSecurityGroupRules', (input: ec2.DescribeSecurityGroupRulesCommandInput) => {
      const groupId = input.Filters?.[0]?.Values?.[0];
      const found = world.rules
        .filter((r) => r.groupId === groupId)
        .map((r) => ({ SecurityGroupRuleId: r.id, GroupId: r.groupId, IsEgress: false, IpProtocol: 'tcp', FromPort: r.port, ToPort: r.port, CidrIpv4: r.cidr }));
      const { items, next } = page(world, found, input.NextToken, true);
      return { SecurityGroupRules: items, NextToken: next };
    }),
  );
  mocks.ec2.on(ec2.DescribeVolumesCommand).callsFake(
    ec2h('DescribeVolumes', (input: ec2.DescribeVolumesCommandInput) => {
      const volume = (i: FakeInstance) => ({ VolumeId: i.volumeId, Size: i.volumeGb, Attachments: [{ InstanceId: i.id, Device: '/dev/xvda', State: 'attached' as const }] });
      const live = world.instances.filter((i) => i.state !== 'terminated');
      if (input.VolumeIds) {
        const unknown = input.VolumeIds.find((id) => !live.some((i) => i.volumeId === id));
        if (unknown) throw awsError('InvalidVolume.NotFound', `The volume '${unknown}' does not exist.`);
        return { Volumes: live.filter((i) => input.VolumeIds?.includes(i.volumeId)).map(volume) };
      }
      const ids = input.Filters?.find((f) => f.Name === 'attachment.instance-id')?.Values ?? [];
      const { items, next } = page(world, live.filter((i) => ids.includes(i.id)).map(volume), input.NextToken, true);
      return { Volumes: items, NextToken: next };
    }),
  );
  mocks.ec2.on(ec2.CreateSecurityGroupCommand).callsFake(
    ec2h('CreateSecurityGroup', (input: ec2.CreateSecurityGroupCommandInput) => {
      if (world.groups.some((g) => g.name === input.GroupName && g.vpcId === input.VpcId)) throw awsError('InvalidGroup.Duplicate');
      const id = nextId('sg');
      world.groups.push({ id, name: input.GroupName ?? '', vpcId: input.VpcId ?? '', tags: tagsFor(input.TagSpecifications, 'security-group') });
      return { GroupId: id };
    }),
  );
  mocks.ec2.on(ec2.AuthorizeSecurityGroupIngressCommand).callsFake(
    ec2h('AuthorizeSecurityGroupIngress', (input: ec2.AuthorizeSecurityGroupIngressCommandInput) => {
      const asked = (input.IpPermissions ?? []).flatMap((p) => (p.IpRanges ?? []).map((r) => ({ port: p.FromPort ?? 0, cidr: r.CidrIp ?? '' })));
      const duplicate = asked.find((a) => world.rules.some((r) => r.groupId === input.GroupId && r.port === a.port && r.cidr === a.cidr));
      if (duplicate) throw duplicateIngress(duplicate.port, duplicate.cidr);
      for (const a of asked) world.rules.push({ id: nextId('sgr'), groupId: input.GroupId ?? '', ...a });
      return { Return: true };
    }),
  );
  mocks.ec2.on(ec2.RevokeSecurityGroupIngressCommand).callsFake(
    ec2h('RevokeSecurityGroupIngress', (input: ec2.RevokeSecurityGroupIngressCommandInput) => {
      world.rules = world.rules.filter((r) => !input.SecurityGroupRuleIds?.includes(r.id));
      return { Return: true };
    }),
  );
  mocks.ec2.on(ec2.DeleteSecurityGroupCommand).callsFake(
    ec2h('DeleteSecurityGroup', (input: ec2.DeleteSecurityGroupCommandInput) => {
      if (!world.groups.some((g) => g.id === input.GroupId)) throw awsError('InvalidGroup.NotFound', `The security group '${input.GroupId}' does not exist`);
      const eniGoneAt = (i: FakeInstance) => (i.terminatingAt === undefined ? Infinity : i.terminatingAt + world.timing.shuttingDownMs + world.timing.eniDetachMs);
      if (world.instances.some((i) => i.groupIds.includes(input.GroupId ?? '') && now() < eniGoneAt(i))) {
        throw awsError('DependencyViolation', `resource ${input.GroupId} has a dependent object`);
      }
      world.groups = world.groups.filter((g) => g.id !== input.GroupId);
      world.rules = world.rules.filter((r) => r.groupId !== input.GroupId);
      return {};
    }),
  );
  mocks.ec2.on(ec2.RunInstancesCommand).callsFake(
    ec2h('RunInstances', (input: ec2.RunInstancesCommandInput) => {
      const name = input.IamInstanceProfile?.Name ?? '';
      const profile = world.profiles.get(name);
      if (!profile || profile.roles.length === 0 || now() < profile.visibleAt) {
        throw awsError('InvalidParameterValue', `Value (${name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`);
      }
      for (const groupId of input.SecurityGroupIds ?? []) {
        const group = world.groups.find((g) => g.id === groupId);
        if (!group) throw awsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
        if (group.vpcId !== world.vpcId) throw awsError('InvalidParameter', `Security group ${groupId} and subnet subnet-default1a belong to different networks.`);
      }
      const again = world.instances.find((i) => input.ClientToken && i.clientToken === input.ClientToken);
      const launched: FakeInstance = again ?? {
        id: nextId('i'),
        state: 'pending',
        type: input.InstanceType ?? '',
        tags: tagsFor(input.TagSpecifications, 'instance'),
        groupIds: input.SecurityGroupIds ?? [],
        publicIp: `203.0.113.${10 + world.instances.length}`,
        volumeGb: input.BlockDeviceMappings?.[0]?.Ebs?.VolumeSize ?? 8,
        volumeId: nextId('vol'),
        creditMode: input.CreditSpecification?.CpuCredits,
        clientToken: input.ClientToken,
        profile: name,
        launchedAt: now(),
        box: { ...structuredClone(world.box), settingsRange: launchedRange(input.UserData), expireUnit: expireUnitOf(userDataText(input)) },
      };
      if (!again) world.instances.push(launched);
      return { Instances: [describe(launched)] };
    }),
  );
  // Elastic IPs: attaching one replaces the instance's public IPv4; a terminated instance holds none.
  const holder = (a: World['addresses'][number]) => world.instances.find((i) => i.id === a.instanceId && i.state !== 'terminated')?.id;
  mocks.ec2.on(ec2.DescribeAddressesCommand).callsFake(
    ec2h('DescribeAddresses', (input: ec2.DescribeAddressesCommandInput) => ({
      Addresses: world.addresses.filter((a) => matchesFilters(a.tags, input.Filters, {})).map((a) => ({ AllocationId: a.allocationId, PublicIp: a.publicIp, InstanceId: holder(a), Tags: a.tags })),
    })),
  );
  mocks.ec2.on(ec2.AllocateAddressCommand).callsFake(
    ec2h('AllocateAddress', (input: ec2.AllocateAddressCommandInput) => {
      const address = { allocationId: nextId('eipalloc'), publicIp: `198.51.100.${world.addresses.length + 20}`, tags: tagsFor(input.TagSpecifications, 'elastic-ip') };
      world.addresses.push(address);
      return { AllocationId: address.allocationId, PublicIp: address.publicIp };
    }),
  );
  mocks.ec2.on(ec2.AssociateAddressCommand).callsFake(
    ec2h('AssociateAddress', (input: ec2.AssociateAddressCommandInput) => {
      const address = world.addresses.find((a) => a.allocationId === input.AllocationId);
      if (!address) throw awsError('InvalidAllocationID.NotFound', `The allocation ID '${input.AllocationId}' does not exist`);
      const target = instance(input.InstanceId ?? '');
      if (target.state !== 'running') throw awsError('IncorrectInstanceState', `The instance '${target.id}' is not in a valid state for this operation.`);
      if (holder(address) && !input.AllowReassociation) throw awsError('Resource.AlreadyAssociated', `resource ${address.allocationId} is already associated`);
      address.instanceId = target.id;
      target.publicIp = address.publicIp;
      return { AssociationId: nextId('eipassoc') };
    }),
  );
  mocks.ec2.on(ec2.ReleaseAddressCommand).callsFake(
    ec2h('ReleaseAddress', (input: ec2.ReleaseAddressCommandInput) => {
      const address = world.addresses.find((a) => a.allocationId === input.AllocationId);
      if (!address) throw awsError('InvalidAllocationID.NotFound', `The allocation ID '${input.AllocationId}' does not exist`);
      if (holder(address)) throw awsError('InvalidIPAddress.InUse', 'Address is in use');
      world.addresses = world.addresses.filter((a) => a !== address);
      return {};
    }),
  );
  mocks.ec2.on(ec2.TerminateInstancesCommand).callsFake(
    ec2h('TerminateInstances', (input: ec2.TerminateInstancesCommandInput) => {
      const targets = (input.InstanceIds ?? []).map(instance);
      for (const i of targets) i.terminatingAt ??= now();
      tick(world);
      return { TerminatingInstances: targets.map((i) => ({ InstanceId: i.id, CurrentState: { Name: i.state as ec2.InstanceStateName } })) };
    }),
  );
  mocks.ec2.on(ec2.GetConsoleOutputCommand).callsFake(
    ec2h('GetConsoleOutput', (input: ec2.GetConsoleOutputCommandInput) => {
      const target = instance(input.InstanceId ?? '');
      return { InstanceId: target.id, Timestamp: new Date(now()), Output: Buffer.from(target.box.consoleOutput ?? '').toString('base64') };
    }),
  );
  mocks.ec2.on(ec2.ModifyInstanceCreditSpecificationCommand).callsFake(
    ec2h('ModifyInstanceCreditSpecification', (input: ec2.ModifyInstanceCreditSpecificationCommandInput) => {
      const ok: { InstanceId: string }[] = [];
      const refused: { InstanceId: string; Error: { Code: string; Message: string } }[] = [];
      for (const spec of input.InstanceCreditSpecifications ?? []) {
        const target = world.instances.find((i) => i.id === spec.InstanceId && i.state !== 'terminated');
        if (!target) refused.push({ InstanceId: spec.InstanceId ?? '', Error: { Code: 'InvalidInstanceID.NotFound', Message: `The instance ID '${spec.InstanceId}' does not exist` } });
        else {
          target.creditMode = spec.CpuCredits;
          ok.push({ InstanceId: target.id });
        }
      }
      return { SuccessfulInstanceCreditSpecifications: ok, UnsuccessfulInstanceCreditSpecifications: refused };
    }),
  );
  mocks.ec2.on(ec2.CreateTagsCommand).callsFake(
    ec2h('CreateTags', (input: ec2.CreateTagsCommandInput) => {
      for (const target of (input.Resources ?? []).map(instance)) {
        for (const tag of input.Tags ?? []) target.tags = [...target.tags.filter((t) => t.Key !== tag.Key), tag];
      }
      return {};
    }),
  );

  // SSM
  const param = (name: string) => {
    const p = world.params.get(name);
    if (!p) throw new ssm.ParameterNotFound({ message: `Parameter ${name} not found.`, $metadata: {} });
    return p;
  };
  mocks.ssm.on(ssm.GetParameterCommand).callsFake(
    ssmh('GetParameter', (input: ssm.GetParameterCommandInput) =>
      input.Name === '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64'
        ? { Parameter: { Name: input.Name, Value: world.amiId } }
        : { Parameter: { Name: input.Name, Value: param(input.Name ?? '').value } },
    ),
  );
  mocks.ssm.on(ssm.GetParametersByPathCommand).callsFake(
    ssmh('GetParametersByPath', (input: ssm.GetParametersByPathCommandInput) => {
      // A path is a hierarchy node: /pillbox/dev holds /pillbox/dev/x, never /pillbox/dev-2/x.
      const prefix = `${(input.Path ?? '').replace(/\/$/, '')}/`;
      // Without Recursive, only the path's own level: /pillbox/dev/x, not /pillbox/dev/backup/x.
      const names = [...world.params.keys()].filter((n) => n.startsWith(prefix) && (input.Recursive === true || !n.slice(prefix.length).includes('/')));
      const { items, next } = page(world, names, input.NextToken);
      return { Parameters: items.map((Name) => ({ Name, Type: world.params.get(Name)?.type as ssm.ParameterType })), NextToken: next };
    }),
  );
  mocks.ssm.on(ssm.PutParameterCommand).callsFake(
    ssmh('PutParameter', (input: ssm.PutParameterCommandInput) => {
      if (input.Tags && input.Overwrite) throw awsError('ValidationException', "Invalid request: tags and overwrite can't be used together.");
      if (world.params.has(input.Name ?? '') && !input.Overwrite) throw new ssm.ParameterAlreadyExists({ message: 'The parameter already exists.', $metadata: {} });
      // An overwrite keeps the parameter's tags (Tags cannot come with Overwrite).
      world.params.set(input.Name ?? '', { value: input.Value ?? '', type: input.Type ?? 'String', tags: input.Tags ?? world.params.get(input.Name ?? '')?.tags ?? [] });
      return { Version: 1 };
    }),
  );
  mocks.ssm.on(ssm.DeleteParameterCommand).callsFake(
    ssmh('DeleteParameter', (input: ssm.DeleteParameterCommandInput) => {
      param(input.Name ?? '');
      world.params.delete(input.Name ?? '');
      return {};
    }),
  );
  mocks.ssm.on(ssm.DeleteParametersCommand).callsFake(
    ssmh('DeleteParameters', (input: ssm.DeleteParametersCommandInput) => {
      if ((input.Names ?? []).length > 10) throw awsError('ValidationException', 'at most 10 names');
      const deleted = (input.Names ?? []).filter((n) => world.params.delete(n));
      return { DeletedParameters: deleted, InvalidParameters: (input.Names ?? []).filter((n) => !deleted.includes(n)) };
    }),
  );
  /** The role's inline policies let the agent register; an instance a test placed without a profile has no role under test. */
  const agentPermitted = async (i: FakeInstance): Promise<boolean> => {
    if (i.profile === undefined) return true;
    const roleName = world.profiles.get(i.profile)?.roles[0];
    const role = roleName === undefined ? undefined : world.roles.get(roleName);
    if (!role) return false;
    return (await agentActionsDenied(`arn:${world.partition}:iam::${world.accountId}:role/${roleName}`, world.accountId, [...role.policies.values()])).length === 0;
  };
  // Registered once its credentials work (agentRegisteredAt: policy propagation, the agent's back-off) and only if the role allows the agent's actions.
  const agentRegistered = async (i: FakeInstance) => i.state === 'running' && now() >= agentRegisteredAt(world, i) && (await agentPermitted(i));
  const agentOnline = async (i: FakeInstance) => (await agentRegistered(i)) && !i.box.agentLost;
  mocks.ssm.on(ssm.DescribeInstanceInformationCommand).callsFake(
    ssmh('DescribeInstanceInformation', async (input: ssm.DescribeInstanceInformationCommandInput) => {
      const ids = input.Filters?.find((f) => f.Key === 'InstanceIds')?.Values ?? [];
      const registered = [];
      for (const i of world.instances) if (ids.includes(i.id) && (await agentRegistered(i))) registered.push(i);
      const listed = await Promise.all(registered.map(async (i) => ({ InstanceId: i.id, PingStatus: (await agentOnline(i)) ? ('Online' as const) : ('ConnectionLost' as const) })));
      const { items, next } = page(world, listed, input.NextToken, true);
      return { InstanceInformationList: items, NextToken: next };
    }),
  );
  const invocations = new Map<string, { reply: Reply; polls: number }>();
  const deferred = (world.deferredCommands ??= new Map<string, DeferredCommand>());
  mocks.ssm.on(ssm.SendCommandCommand).callsFake(
    ssmh('SendCommand', async (input: ssm.SendCommandCommandInput) => {
      const target = world.instances.find((i) => i.id === input.InstanceIds?.[0]);
      if (!target || !(await agentOnline(target))) throw new ssm.InvalidInstanceId({ message: 'Instances not in a valid state for account', $metadata: {} });
      const lines = input.Parameters?.commands ?? [];
      if ((target.box.agentUnreachableUntil ?? 0) > now()) {
        const id = nextId('cmd');
        const run = () => runScript(target, lines);
        deferred.set(id, { lines, sentAt: now(), deliveryMs: (input.TimeoutSeconds ?? 3600) * 1000, target, run });
        return { Command: { CommandId: id } };
      }
      const reply = runScript(target, lines);
      const id = nextId('cmd');
      invocations.set(id, { reply, polls: 0 });
      return { Command: { CommandId: id } };
    }),
  );
  /** Runs a script on the box the way the agent would, recording it. */
  function runScript(target: FakeInstance, lines: string[]): Required<Reply> {
    world.sentScripts.push(lines);
    const answer = boxReplies((line) => boxLine(world, target, line));
    // `set -eu`: the lines run in order and the first failure ends the script.
    const reply: Required<Reply> = { exitCode: 0, stdout: '', stderr: '' };
    for (const line of lines.slice(1)) {
      const r = answer(line, target.id);
      reply.stdout += r.stdout ?? '';
      reply.stderr += r.stderr ?? '';
      reply.exitCode = r.exitCode ?? 0;
      if (reply.exitCode !== 0) break;
    }
    return reply;
  }
  mocks.ssm.on(ssm.CancelCommandCommand).callsFake(
    ssmh('CancelCommand', (input: ssm.CancelCommandCommandInput) => {
      const command = deferred.get(input.CommandId ?? '');
      if (!command && !invocations.has(input.CommandId ?? '')) throw new ssm.InvalidCommandId({ message: 'Invalid command id', $metadata: {} });
      if (command) command.cancelledAt ??= now();
      return {};
    }),
  );
  mocks.ssm.on(ssm.GetCommandInvocationCommand).callsFake(
    ssmh('GetCommandInvocation', (input: ssm.GetCommandInvocationCommandInput) => {
      const waiting = deferred.get(input.CommandId ?? '');
      if (waiting) return deferredAnswer(world, waiting);
      const invocation = invocations.get(input.CommandId ?? '');
      if (!invocation) throw new ssm.InvocationDoesNotExist({ message: 'Invocation does not exist', $metadata: {} });
      invocation.polls += 1;
      return invocationAnswer(invocation.reply, invocation.polls - 1);
    }),
  );

  // IAM
  const noSuch = (what: string) => new iam.NoSuchEntityException({ message: `${what} cannot be found.`, $metadata: {} });
  const role = (name: string) => {
    const r = world.roles.get(name);
    if (!r) throw noSuch(`The role with name ${name}`);
    return r;
  };
  const profileOf = (name: string) => {
    const p = world.profiles.get(name);
    if (!p) throw noSuch(`Instance Profile ${name}`);
    return p;
  };
  /** IAM pages with Marker and IsTruncated. */
  const iamPage = <T>(items: T[], marker: string | undefined) => {
    const { items: slice, next } = page(world, items, marker);
    return { items: slice, IsTruncated: next !== undefined, Marker: next };
  };
  answerBoundary(world, mocks.iam, iamh);
  mocks.iam.on(iam.GetRoleCommand).callsFake(
    iamh('GetRole', (i: iam.GetRoleCommandInput) => {
      const r = role(i.RoleName ?? '');
      // As IAM answers: the path in the ARN, the trust URL-encoded.
      return { Role: { RoleName: i.RoleName, Path: r.path, Arn: `arn:${world.partition}:iam::${world.accountId}:role${r.path}${i.RoleName}`, AssumeRolePolicyDocument: encodeURIComponent(r.trust), Tags: r.tags } };
    }),
  );
  // PathPrefix, when given, is 1-512 characters starting with a slash (IAM API reference,
  // ListRoles/ListInstanceProfiles: pattern \u002F[\u0021-\u007F]*; "/" when omitted).
  const checkPathPrefix = (prefix: string | undefined): void => {
    if (prefix !== undefined && (prefix.length > 512 || !/^\/[\x21-\x7f]*$/.test(prefix))) throw awsError('ValidationError', `1 validation error detected: Value '${prefix}' at 'pathPrefix' failed to satisfy constraint`);
  };
  // IAM's lists leave tags out (ListRoles: PermissionsBoundary, RoleLastUsed, Tags; ListInstanceProfiles: tags): they have their own calls.
  mocks.iam.on(iam.ListRolesCommand).callsFake(
    iamh('ListRoles', (i: iam.ListRolesCommandInput) => {
      checkPathPrefix(i.PathPrefix);
      const names = [...world.roles.keys()].filter((n) => world.roles.get(n)?.path.startsWith(i.PathPrefix ?? '/'));
      const { items, IsTruncated, Marker } = iamPage(names, i.Marker);
      return { Roles: items.map((RoleName) => ({ RoleName, Path: role(RoleName).path, Arn: `arn:${world.partition}:iam::${world.accountId}:role${role(RoleName).path}${RoleName}`, AssumeRolePolicyDocument: encodeURIComponent(role(RoleName).trust), RoleId: RoleName, CreateDate: new Date(0) })), IsTruncated, Marker };
    }),
  );
  mocks.iam.on(iam.ListRoleTagsCommand).callsFake(
    iamh('ListRoleTags', (i: iam.ListRoleTagsCommandInput) => {
      const { items, IsTruncated, Marker } = iamPage(role(i.RoleName ?? '').tags, i.Marker);
      return { Tags: items, IsTruncated, Marker };
    }),
  );
  mocks.iam.on(iam.GetRolePolicyCommand).callsFake(
    iamh('GetRolePolicy', (i: iam.GetRolePolicyCommandInput) => {
      const document = role(i.RoleName ?? '').policies.get(i.PolicyName ?? '');
      if (document === undefined) throw noSuch(`The role policy with name ${i.PolicyName}`);
      // URL-encoded (RFC 3986), as IAM returns every policy document.
      return { RoleName: i.RoleName, PolicyName: i.PolicyName, PolicyDocument: encodeURIComponent(document) };
    }),
  );
  mocks.iam.on(iam.ListInstanceProfilesCommand).callsFake(
    iamh('ListInstanceProfiles', (i: iam.ListInstanceProfilesCommandInput) => {
      checkPathPrefix(i.PathPrefix);
      const pathOf = (name: string) => world.profiles.get(name)?.path ?? '/';
      const { items, IsTruncated, Marker } = iamPage([...world.profiles.keys()].filter((n) => pathOf(n).startsWith(i.PathPrefix ?? '/')), i.Marker);
      return {
        InstanceProfiles: items.map((InstanceProfileName) => ({ InstanceProfileName, Path: pathOf(InstanceProfileName), InstanceProfileId: InstanceProfileName, Arn: `arn:${world.partition}:iam::${world.accountId}:instance-profile${pathOf(InstanceProfileName)}${InstanceProfileName}`, CreateDate: new Date(0), Roles: [] })),
        IsTruncated,
        Marker,
      };
    }),
  );
  mocks.iam.on(iam.ListInstanceProfileTagsCommand).callsFake(
    iamh('ListInstanceProfileTags', (i: iam.ListInstanceProfileTagsCommandInput) => {
      const { items, IsTruncated, Marker } = iamPage(profileOf(i.InstanceProfileName ?? '').tags, i.Marker);
      return { Tags: items, IsTruncated, Marker };
    }),
  );
  mocks.iam.on(iam.ListRolePoliciesCommand).callsFake(
    iamh('ListRolePolicies', (i: iam.ListRolePoliciesCommandInput) => {
      const { items, IsTruncated, Marker } = iamPage([...role(i.RoleName ?? '').policies.keys()], i.Marker);
      return { PolicyNames: items, IsTruncated, Marker };
    }),
  );
  mocks.iam.on(iam.ListAttachedRolePoliciesCommand).callsFake(
    iamh('ListAttachedRolePolicies', (i: iam.ListAttachedRolePoliciesCommandInput) => {
      const { items, IsTruncated, Marker } = iamPage(role(i.RoleName ?? '').attached, i.Marker);
      return { AttachedPolicies: items.map((PolicyArn) => ({ PolicyArn })), IsTruncated, Marker };
    }),
  );
  mocks.iam.on(iam.CreateRoleCommand).callsFake(
    iamh('CreateRole', (i: iam.CreateRoleCommandInput) => {
      if (world.roles.has(i.RoleName ?? '')) throw new iam.EntityAlreadyExistsException({ message: `Role with name ${i.RoleName} already exists.`, $metadata: {} });
      if (i.PermissionsBoundary !== `arn:${world.partition}:iam::${world.accountId}:policy/pillbox-boundary`) throw noSuch(`Scope ARN: ${i.PermissionsBoundary} does not exist or is not attachable. It`);
      checkTrustPolicy(i.AssumeRolePolicyDocument ?? '');
      world.roles.set(i.RoleName ?? '', { path: i.Path ?? '/', trust: i.AssumeRolePolicyDocument ?? '', tags: i.Tags ?? [], policies: new Map(), attached: [], boundary: i.PermissionsBoundary, createdAt: now() });
      return { Role: { RoleName: i.RoleName } };
    }),
  );
  mocks.iam.on(iam.PutRolePermissionsBoundaryCommand).callsFake(
    iamh('PutRolePermissionsBoundary', (i: iam.PutRolePermissionsBoundaryCommandInput) => ((role(i.RoleName ?? '').boundary = i.PermissionsBoundary), {})),
  );
  mocks.iam.on(iam.DetachRolePolicyCommand).callsFake(
    iamh('DetachRolePolicy', (i: iam.DetachRolePolicyCommandInput) => {
      const r = role(i.RoleName ?? '');
      if (!r.attached.includes(i.PolicyArn ?? '')) throw noSuch(`Policy ${i.PolicyArn} attached to the role`);
      r.attached = r.attached.filter((a) => a !== i.PolicyArn);
      return {};
    }),
  );
  mocks.iam.on(iam.PutRolePolicyCommand).callsFake(
    iamh('PutRolePolicy', (i: iam.PutRolePolicyCommandInput) => {
      const r = role(i.RoleName ?? '');
      checkInlinePolicy(i.RoleName ?? '', i.PolicyName ?? '', i.PolicyDocument ?? '', r.policies);
      r.policies.set(i.PolicyName ?? '', i.PolicyDocument ?? '');
      return {};
    }),
  );
  mocks.iam.on(iam.DeleteRolePolicyCommand).callsFake(
    iamh('DeleteRolePolicy', (i: iam.DeleteRolePolicyCommandInput) => {
      if (!role(i.RoleName ?? '').policies.delete(i.PolicyName ?? '')) throw noSuch(`The role policy with name ${i.PolicyName}`);
      return {};
    }),
  );
  mocks.iam.on(iam.DeleteRoleCommand).callsFake(
    iamh('DeleteRole', (i: iam.DeleteRoleCommandInput) => {
      const r = role(i.RoleName ?? '');
      const inProfile = [...world.profiles.values()].some((p) => p.roles.includes(i.RoleName ?? ''));
      if (r.policies.size > 0 || r.attached.length > 0 || inProfile) throw new iam.DeleteConflictException({ message: 'Cannot delete entity, must delete policies first.', $metadata: {} });
      world.roles.delete(i.RoleName ?? '');
      return {};
    }),
  );
  mocks.iam.on(iam.GetInstanceProfileCommand).callsFake(
    iamh('GetInstanceProfile', (i: iam.GetInstanceProfileCommandInput) => ({
      InstanceProfile: {
        InstanceProfileName: i.InstanceProfileName,
        Arn: `arn:${world.partition}:iam::${world.accountId}:instance-profile/${i.InstanceProfileName}`,
        Roles: profileOf(i.InstanceProfileName ?? '').roles.map((RoleName) => ({ RoleName })),
      },
    })),
  );
  mocks.iam.on(iam.CreateInstanceProfileCommand).callsFake(
    iamh('CreateInstanceProfile', (i: iam.CreateInstanceProfileCommandInput) => {
      if (world.profiles.has(i.InstanceProfileName ?? '')) throw new iam.EntityAlreadyExistsException({ message: 'Instance Profile already exists.', $metadata: {} });
      world.profiles.set(i.InstanceProfileName ?? '', { tags: i.Tags ?? [], roles: [], visibleAt: Infinity });
      return {};
    }),
  );
  mocks.iam.on(iam.AddRoleToInstanceProfileCommand).callsFake(
    iamh('AddRoleToInstanceProfile', (i: iam.AddRoleToInstanceProfileCommandInput) => {
      const p = profileOf(i.InstanceProfileName ?? '');
      role(i.RoleName ?? '');
      if (p.roles.length > 0) throw new iam.LimitExceededException({ message: 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1', $metadata: {} });
      p.roles.push(i.RoleName ?? '');
      p.visibleAt = now() + world.timing.profileVisibleMs;
      return {};
    }),
  );
  mocks.iam.on(iam.RemoveRoleFromInstanceProfileCommand).callsFake(
    iamh('RemoveRoleFromInstanceProfile', (i: iam.RemoveRoleFromInstanceProfileCommandInput) => {
      const p = profileOf(i.InstanceProfileName ?? '');
      if (!p.roles.includes(i.RoleName ?? '')) throw noSuch(`The role with name ${i.RoleName} in the profile`);
      p.roles = p.roles.filter((r) => r !== i.RoleName);
      return {};
    }),
  );
  mocks.iam.on(iam.DeleteInstanceProfileCommand).callsFake(
    iamh('DeleteInstanceProfile', (i: iam.DeleteInstanceProfileCommandInput) => {
      if (profileOf(i.InstanceProfileName ?? '').roles.length > 0) throw new iam.DeleteConflictException({ message: 'Cannot delete entity, must remove roles from instance profile first.', $metadata: {} });
      world.profiles.delete(i.InstanceProfileName ?? '');
      return {};
    }),
  );

  // EventBridge Scheduler
  const schedh = <I, O>(name: string, fn: (input: I) => O) => h('scheduler', name, fn);
  const scheduleNamed = (name: string | undefined) => {
    const found = world.schedules.get(name ?? '');
    const message = `Schedule ${name} does not exist.`;
    if (!found) throw new scheduler.ResourceNotFoundException({ message, Message: message, $metadata: {} });
    return found;
  };
  /** Scheduler assumes a role that exists, trusts scheduler.amazonaws.com, and has reached Scheduler since IAM made it. */
  const assumableByScheduler = (roleArn: string) => {
    // A role of this account's partition only: arn:aws:… names no role in aws-cn.
    if (!roleArn.startsWith(`arn:${world.partition}:iam::${world.accountId}:role/`)) return false;
    const r = world.roles.get(roleArn.replace(/^.*:role\//, ''));
    if (!r) return false;
    if (r.trust !== undefined && !r.trust.includes('scheduler.amazonaws.com')) return false;
    return now() >= (r.createdAt ?? -Infinity) + world.timing.roleAssumableMs;
  };
  const scheduleArn = (name: string | undefined) => `arn:${world.partition}:scheduler:${world.region}:${world.accountId}:schedule/default/${name}`;
  /** A one-time schedule must fire in the future. */
  /** A universal target in another partition names no API Scheduler can call here. */
  const refuseOtherPartition = (i: scheduler.CreateScheduleCommandInput) => {
    const message = `Invalid target arn ${i.Target?.Arn}: not in the ${world.partition} partition.`;
    if (!i.Target?.Arn?.startsWith(`arn:${world.partition}:`)) throw new scheduler.ValidationException({ message, Message: message, $metadata: {} });
  };
  const refusePast = (i: scheduler.CreateScheduleCommandInput) => {
    const at = scheduleTime(i);
    const message = `The schedule expression ${i.ScheduleExpression} must be in the future.`;
    if (at !== undefined && at <= now()) throw new scheduler.ValidationException({ message, Message: message, $metadata: {} });
  };
  mocks.scheduler.on(scheduler.CreateScheduleCommand).callsFake(
    schedh('CreateSchedule', (i: scheduler.CreateScheduleCommandInput) => {
      refusePast(i);
      const message = `Schedule ${i.Name} already exists.`;
      if (world.schedules.has(i.Name ?? '')) throw new scheduler.ConflictException({ message, Message: message, $metadata: {} });
      checkSchedule(i, assumableByScheduler);
      refuseOtherPartition(i);
      world.schedules.set(i.Name ?? '', i);
      return { ScheduleArn: scheduleArn(i.Name) };
    }),
  );
  mocks.scheduler.on(scheduler.UpdateScheduleCommand).callsFake(
    schedh('UpdateSchedule', (i: scheduler.UpdateScheduleCommandInput) => {
      scheduleNamed(i.Name);
      checkSchedule(i, assumableByScheduler);
      refuseOtherPartition(i);
      refusePast(i);
      world.schedules.set(i.Name ?? '', i);
      return { ScheduleArn: scheduleArn(i.Name) };
    }),
  );
  mocks.scheduler.on(scheduler.GetScheduleCommand).callsFake(schedh('GetSchedule', (i: scheduler.GetScheduleCommandInput) => ({ ...scheduleNamed(i.Name), Arn: scheduleArn(i.Name) })));
  mocks.scheduler.on(scheduler.ListSchedulesCommand).callsFake(
    schedh('ListSchedules', (i: scheduler.ListSchedulesCommandInput) => {
      // NamePrefix, when given, is 1-64 characters (Scheduler API reference, ListSchedules).
      if (i.NamePrefix !== undefined && (i.NamePrefix.length < 1 || i.NamePrefix.length > 64)) {
        const message = `NamePrefix '${i.NamePrefix}' must be 1-64 characters`;
        throw new scheduler.ValidationException({ message, Message: message, $metadata: {} });
      }
      const names = [...world.schedules.keys()].filter((n) => n.startsWith(i.NamePrefix ?? ''));
      const { items, next } = page(world, names, i.NextToken);
      return { Schedules: items.map((Name) => ({ Name, GroupName: 'default', Arn: scheduleArn(Name) })), NextToken: next };
    }),
  );
  mocks.scheduler.on(scheduler.DeleteScheduleCommand).callsFake(
    schedh('DeleteSchedule', (i: scheduler.DeleteScheduleCommandInput) => {
      scheduleNamed(i.Name);
      world.schedules.delete(i.Name ?? '');
      return {};
    }),
  );

  // Resource Groups Tagging API
  answerTagging(world, mocks.tagging, (name, fn) => h('tagging', name, fn));

  const restore = () => {
    for (const mock of Object.values(mocks)) mock.restore();
  };
  return { clients, s3, mocks, restore, clock: world.clock };
}

export type FakeAws = ReturnType<typeof fakeAws>;

/** A fresh world and fake AWS for each test of the calling suite, handed to `use`, restored after the test. */
export function useFakeAws(use: (world: World, fake: FakeAws) => void): void {
  let fake: FakeAws | undefined;
  beforeEach(() => {
    const world = aWorld();
    fake = fakeAws(world);
    use(world, fake);
  });
  afterEach(() => fake?.restore());
}

/** Names of the commands a mock received, in order (e.g. ['DescribeVpcsCommand', ...]). */
export function commandNames(fake: FakeAws): string[] {
  const calls: { args: unknown[] }[] = Object.values(fake.mocks).flatMap((m) => m.calls() as { args: unknown[] }[]);
  return calls.map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { hint?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { hint?: string };
  }
  throw new Error('expected the promise to reject');
}
