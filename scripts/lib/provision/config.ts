// The provision command's settings: flags > env/.env > defaults (git for env and commit).
import { z } from 'zod';
import { commonFields, commonSchema, flagSchema, loadConfig, type Command, type Fields, type Sources } from '../core/config.js';
import { DEFAULT_BACKUP_RETENTION_DAYS } from '../aws/bucket-keys.js';
import type { GitRunner } from '../core/git.js';
import { LONG_LIVED_MAX_HOURS, PREVIEW_MAX_HOURS } from '../core/long-lived.js';
import { DEFAULT_INSTANCE_TYPE, INSTANCE_TYPES, isAllowedInstanceType } from '../core/pricing.js';

export const DEFAULT_TTL_HOURS = 8;
export const DEFAULT_VOLUME_GB = 30;

export const provisionFields = {
  ...commonFields,
  instanceType: { flag: 'instance-type', env: 'PILLBOX_INSTANCE_TYPE', description: `instance type (default ${DEFAULT_INSTANCE_TYPE}; a running box keeps its own)` },
  ttlHours: { flag: 'ttl-hours', env: 'PILLBOX_TTL_HOURS', description: `hours until the instance terminates itself; teardown removes the rest (default ${DEFAULT_TTL_HOURS}; beyond ${PREVIEW_MAX_HOURS}, up to ${LONG_LIVED_MAX_HOURS}, only after a confirmation that shows the monthly cost; moves a running box's expiry later)` },
  allowedCidr: {
    flag: 'allowed-cidr',
    env: 'PILLBOX_ALLOWED_CIDR',
    description:
      "IPv4 CIDR allowed to use the site: the security group opens 443 to it and the edge refuses everyone else; 80 is open to everyone for Let's Encrypt's challenge and the redirect only (default: your address /32 at a terminal, 0.0.0.0/0 with --ci; a running box keeps its own)",
  },
  domain: { flag: 'domain', env: 'PILLBOX_DOMAIN', description: "domain name served over HTTPS (an Elastic IP is kept for its DNS record); default: the box's IP address" },
  ref: { flag: 'ref', env: 'PILLBOX_REF', description: 'commit, branch or tag to ship; committed content only, no push needed (default HEAD)' },
  volumeGb: { flag: 'volume-gb', env: 'PILLBOX_VOLUME_GB', description: `root volume size in GiB (default ${DEFAULT_VOLUME_GB}; a running box keeps its own)` },
  appImage: { flag: 'app-image', env: 'PILLBOX_APP_IMAGE', description: 'prebuilt app image to run instead of building on the box' },
  replace: { flag: 'replace', boolean: true, description: 'terminate a running box of this environment and launch a new one (backing up its data first)' },
  restore: { flag: 'restore', description: 'seed the new box from a backup: latest, or a key from `npm run backups`' },
  noBackup: { flag: 'no-backup', boolean: true, description: 'with --replace: do not back up the old box first' },
  backupRetentionDays: { flag: 'backup-retention-days', env: 'PILLBOX_BACKUP_RETENTION_DAYS', description: `days the bucket keeps backups, for every environment (default ${DEFAULT_BACKUP_RETENTION_DAYS})` },
  yes: { flag: 'yes', boolean: true, description: `confirm a long-lived box (--ttl-hours beyond ${PREVIEW_MAX_HOURS}) without asking` },
  plan: { flag: 'plan', boolean: true, description: 'print what would be created or reused and the cost, change nothing' },
  noWait: { flag: 'no-wait', boolean: true, description: 'return after launch instead of waiting for the app' },
  ci: { flag: 'ci', env: 'CI', boolean: true, description: 'not interactive (set by CI systems): no address lookup, 0.0.0.0/0 unless --allowed-cidr' },
} satisfies Fields;

const wholeNumber = (min: number, max: number, what: string) =>
  z.coerce
    .number({ error: `expected ${what} from ${min} to ${max}` })
    .int({ error: `expected ${what} from ${min} to ${max}` })
    .min(min, { error: `expected ${what} from ${min} to ${max}` })
    .max(max, { error: `expected ${what} from ${min} to ${max}` });

/** An IPv4 CIDR; a bare address means that address alone (`203.0.113.7` → `203.0.113.7/32`). */
const ipv4Cidr = z
  .string()
  .transform((v) => (/^\d{1,3}(\.\d{1,3}){3}$/.test(v) ? `${v}/32` : v))
  .refine(
    (v) => {
      const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(v);
      return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
    },
    { error: 'expected an IPv4 address or CIDR such as 203.0.113.7 (taken as /32) or 0.0.0.0/0' },
  );

/** A DNS name Let's Encrypt can validate: two or more labels, lowercase; it lands in a shell-sourced env file. */
const domainName = z
  .string()
  .transform((v) => v.toLowerCase())
  .refine((v) => v.length <= 253 && /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(v), { error: 'expected a domain name such as app.example.com' });

/** Image references: registry/name:tag or @sha256 digest, no shell metacharacters. */
const imageRef = z.string().regex(/^[a-z0-9][a-z0-9._/:-]*(@sha256:[a-f0-9]{64})?$/, { error: 'expected an image reference such as ghcr.io/org/pillbox:1.2.3' });

// Type, TTL, volume and range stay undefined unless asked for: a running box keeps its own,
// and provision fills in the defaults only for what it creates (drift.ts, allowed-cidr.ts).
export const provisionSchema = commonSchema.extend({
  instanceType: z
    .string()
    .refine(isAllowedInstanceType, { error: `expected one of ${Object.keys(INSTANCE_TYPES).join(', ')}` })
    .optional(),
  ttlHours: wholeNumber(1, LONG_LIVED_MAX_HOURS, 'a whole number of hours').optional(),
  yes: flagSchema.default(false),
  allowedCidr: ipv4Cidr.optional(),
  domain: domainName.optional(),
  ref: z.string().min(1).default('HEAD'),
  volumeGb: wholeNumber(20, 500, 'a size in GiB').optional(),
  appImage: imageRef.optional(),
  replace: flagSchema.default(false),
  restore: z.string().min(1).optional(),
  noBackup: flagSchema.default(false),
  backupRetentionDays: wholeNumber(1, 3650, 'a whole number of days').default(DEFAULT_BACKUP_RETENTION_DAYS),
  plan: flagSchema.default(false),
  noWait: flagSchema.default(false),
  ci: flagSchema.default(false),
}).refine((c) => !(c.restore && c.noWait), { path: ['restore'], error: 'restoring needs the app ready: drop --no-wait' });

export type ProvisionConfig = z.infer<typeof provisionSchema>;

export const provisionCommand: Command = {
  name: 'provision',
  summary: "Launches or converges the environment's box and waits until the app answers.",
  fields: provisionFields,
};

/** render-user-data previews what provision would send: only the settings that shape the user-data. */
export const renderUserDataCommand: Command = {
  name: 'render-user-data',
  summary: 'Prints the cloud-init user-data provision would send (no AWS calls).',
  fields: {
    env: provisionFields.env,
    region: provisionFields.region,
    ttlHours: provisionFields.ttlHours,
    domain: provisionFields.domain,
    allowedCidr: provisionFields.allowedCidr,
    ref: provisionFields.ref,
    appImage: provisionFields.appImage,
    debug: provisionFields.debug,
    help: provisionFields.help,
  },
};

export async function loadProvisionConfig(sources: Sources, git: GitRunner): Promise<ProvisionConfig> {
  return loadConfig(provisionFields, provisionSchema, sources, git);
}
