// Re-provisioning a running box: what it really has (instance type, root volume, expiry,
// allowed range) against what this run asks for. A setting not asked for keeps what the box
// has. A changed range or a later expiry changes in place; a new type or volume size needs a
// new box, which --replace launches and which is refused without it.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EnvInstance, ObservedEnvironment } from '../aws/environment.js';
import { HTTPS_PORT } from '../aws/security-group.js';
import { volumeSizeGb } from '../aws/volume.js';
import { isoSeconds } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { DEFAULT_INSTANCE_TYPE } from '../core/pricing.js';
import type { Step } from '../core/step.js';
import { DEFAULT_TTL_HOURS, DEFAULT_VOLUME_GB } from './config.js';

/** What the running box has, as EC2 reports it. */
export interface BoxSettings {
  instanceId: string;
  instanceType: string;
  /** GiB; undefined while EC2 reports no root volume (a box still pending). */
  volumeGb?: number;
  expiresAt?: Date;
  /** The one range the environment's group opens HTTPS to, if there is one. */
  allowedCidr?: string;
  /** The optional compose profiles it runs (its StackProfiles tag; none when launched before the tag existed). */
  profiles: string[];
}

/** What this run asks for: flags, environment or .env. Left out, a setting keeps what exists. */
export interface RequestedSettings {
  instanceType?: string;
  volumeGb?: number;
  ttlHours?: number;
  allowedCidr?: string;
}

export type Effect = 'in place' | 'replace required' | 'kept';

export interface SettingChange {
  setting: 'instance type' | 'root volume' | 'expiry' | 'allowed CIDR';
  flag: string;
  from: string;
  to: string;
  effect: Effect;
}

export interface Drift {
  box: BoxSettings;
  changes: SettingChange[];
  /** The expiry this run moves the kept box to. */
  expiryTo?: Date;
}

/** What a box launched by this run gets: asked for, else what the box it replaces had, else the defaults. */
export interface LaunchSettings {
  instanceType: string;
  volumeGb: number;
  ttlHours: number;
}

/** The allowed range: the one range the group opens HTTPS to (HTTP is open to everyone for ACME). */
export function groupCidr(group: ObservedEnvironment['securityGroup']): string | undefined {
  const cidrs = new Set(group?.ingress.filter((rule) => rule.port === HTTPS_PORT).flatMap((rule) => rule.cidrs));
  return cidrs.size === 1 ? [...cidrs][0] : undefined;
}

/** The kept box's settings; its root volume size comes from DescribeVolumes. */
export async function observeBox(ec2: EC2Client, instance: EnvInstance, group: ObservedEnvironment['securityGroup']): Promise<BoxSettings> {
  return {
    instanceId: instance.id,
    instanceType: instance.instanceType,
    volumeGb: instance.rootVolumeId ? await volumeSizeGb(ec2, instance.rootVolumeId) : undefined,
    expiresAt: instance.expiresAt,
    allowedCidr: groupCidr(group),
    profiles: instance.profiles ?? [],
  };
}

const HOUR_MS = 3_600_000;
const gib = (n: number | undefined): string => (n === undefined ? 'unknown' : `${n} GiB`);

/**
 * Each asked-for setting that differs from the box. A TTL moves the expiry to that many
 * hours from now, but only later, as `npm run extend` does: a box that already lives
 * longer keeps its expiry (an earlier end is `npm run teardown`). A replacement starts a
 * fresh TTL of its own, so with `replace` the expiry is not compared.
 */
export function compareSettings(requested: RequestedSettings, box: BoxSettings, now: number, replace: boolean): Drift {
  const changes: SettingChange[] = [];
  if (requested.instanceType !== undefined && requested.instanceType !== box.instanceType) {
    changes.push({ setting: 'instance type', flag: '--instance-type', from: box.instanceType, to: requested.instanceType, effect: 'replace required' });
  }
  if (requested.volumeGb !== undefined && requested.volumeGb !== box.volumeGb) {
    changes.push({ setting: 'root volume', flag: '--volume-gb', from: gib(box.volumeGb), to: gib(requested.volumeGb), effect: 'replace required' });
  }
  if (requested.allowedCidr !== undefined && requested.allowedCidr !== box.allowedCidr) {
    changes.push({ setting: 'allowed CIDR', flag: '--allowed-cidr', from: box.allowedCidr ?? 'no single range', to: requested.allowedCidr, effect: 'in place' });
  }
  let expiryTo: Date | undefined;
  if (requested.ttlHours !== undefined && !replace) {
    const to = new Date(Math.floor((now + requested.ttlHours * HOUR_MS) / 1000) * 1000);
    const later = box.expiresAt === undefined || to.getTime() > box.expiresAt.getTime();
    if (later) expiryTo = to;
    const from = box.expiresAt ? isoSeconds(box.expiresAt) : 'no ExpiresAt tag';
    changes.push({ setting: 'expiry', flag: '--ttl-hours', from, to: isoSeconds(to), effect: later ? 'in place' : 'kept' });
  }
  return { box, changes, expiryTo };
}

/** A box this run launches: asked for, else as the box it replaces, else the defaults; a new box starts a fresh TTL. */
export const launchSettings = (requested: RequestedSettings, replaced?: BoxSettings): LaunchSettings => ({
  instanceType: requested.instanceType ?? replaced?.instanceType ?? DEFAULT_INSTANCE_TYPE,
  volumeGb: requested.volumeGb ?? replaced?.volumeGb ?? DEFAULT_VOLUME_GB,
  ttlHours: requested.ttlHours ?? DEFAULT_TTL_HOURS,
});

const needsNewBox = (drift: Drift | undefined): SettingChange[] => drift?.changes.filter((c) => c.effect === 'replace required') ?? [];
const listed = (changes: SettingChange[]): string => changes.map((c) => `${c.setting} ${c.from} → ${c.to}`).join(', ');

/** The one line that stops a run asking for a new type or volume without --replace; undefined when nothing stops it. */
export function replaceRefusal(drift: Drift | undefined, replace: boolean): OperatorError | undefined {
  const changes = needsNewBox(drift);
  if (replace || changes.length === 0 || !drift) return undefined;
  const id = drift.box.instanceId;
  return new OperatorError(
    `${listed(changes)}: ${changes.length > 1 ? 'these need' : 'this needs'} a new box, so nothing was changed on ${id}.`,
    `Add --replace to launch one and retire ${id} once it is healthy, or drop ${changes.map((c) => c.flag).join(' and ')} to keep ${id}.`,
  );
}

/** The kept instance's line in the plan: what a new box would change, or nothing to add. */
export function instanceDrift(drift: Drift | undefined, replace: boolean): string | undefined {
  const changes = needsNewBox(drift);
  if (changes.length === 0) return undefined;
  return `replace required: ${listed(changes)}${replace ? '' : '; refused without --replace'}`;
}

/** The ingress line's note when the range changes on a running environment. */
export function cidrDrift(drift: Drift | undefined): string | undefined {
  const change = drift?.changes.find((c) => c.setting === 'allowed CIDR');
  return change ? `allowed CIDR ${change.from} → ${change.to}, changes in place` : undefined;
}

/** The expiry's line in the plan of a kept box, when --ttl-hours was asked for. */
export function expiryStep(drift: Drift | undefined): Step | undefined {
  const change = drift?.changes.find((c) => c.setting === 'expiry');
  if (!drift || !change) return undefined;
  const id = drift.box.instanceId;
  return change.effect === 'in place'
    ? { action: 'update', resource: 'expiry', name: id, detail: `${change.from} → ${change.to}, changes in place: the box's timer, then its tag, as \`npm run extend\` does` }
    : { action: 'keep', resource: 'expiry', name: id, detail: `${change.from}, later than --ttl-hours asks (${change.to}); a TTL only moves the expiry later, \`npm run teardown\` ends a box sooner` };
}
