// Where things live in the project bucket: one bucket per account and region, one prefix
// per environment, one sub-prefix per kind of object. Every key the CLI, the box and the
// IAM policies use is built here, so a layout change is one edit.
import { ENV_NAME_PATTERN, PROJECT } from '../core/names.js';

/** `pillbox-<account>-<region>`: at most 8 + 12 + 1 + 16 characters, well under S3's 63. */
export const bucketName = (accountId: string, region: string): string => `${PROJECT}-${accountId}-${region}`;

/** Every environment's objects sit under this; the lifecycle rules filter on it. */
export const ENVS_PREFIX = 'envs/';

/** The object tag the lifecycle rules expire by (see lifecycleRules in bucket.ts for why a tag). */
export const KIND_TAG = `${PROJECT}-kind`;
export type ObjectKind = 'source' | 'backup';
/** The x-amz-tagging value of an upload of that kind. */
export const kindTagging = (kind: ObjectKind): string => `${KIND_TAG}=${kind}`;

/**
 * Source archives expire after a preview box's life (72 h) plus a day; a new upload of the same
 * commit restarts the count. A long-lived box needs its archive at first boot only (source.sh
 * skips a commit already unpacked), and every deploy uploads its own again.
 */
export const SOURCE_RETENTION_DAYS = 4;
export const DEFAULT_BACKUP_RETENTION_DAYS = 14;

export const envPrefix = (env: string): string => `${ENVS_PREFIX}${env}/`;
export const sourcePrefix = (env: string): string => `${envPrefix(env)}source/`;
export const backupsPrefix = (env: string): string => `${envPrefix(env)}backups/`;

export const sourceKey = (env: string, sha: string): string => `${sourcePrefix(env)}${sha}.tar.gz`;

export interface BackupKeys {
  /** The pg_dump -Fc archive. */
  dump: string;
  /** Written after the dump: the commit point that makes the dump a backup. */
  manifest: string;
}

export const backupKeys = (env: string, stamp: string): BackupKeys => ({
  dump: `${backupsPrefix(env)}${stamp}.dump`,
  manifest: `${backupsPrefix(env)}${stamp}.json`,
});

// A stamp such as 20261121T030000Z: UTC, sortable as text, nothing to escape in a key.
const BACKUP_KEY = new RegExp(`^${ENVS_PREFIX}(${ENV_NAME_PATTERN.source.slice(1, -1)})/backups/(\\d{8}T\\d{6}Z)\\.(dump|json)$`);

/** Reads `envs/<env>/backups/<stamp>.(dump|json)` back into its parts; anything else is undefined. */
export function parseBackupKey(key: string): { env: string; stamp: string; part: 'dump' | 'manifest' } | undefined {
  const match = BACKUP_KEY.exec(key);
  if (!match) return undefined;
  return { env: match[1]!, stamp: match[2]!, part: match[3] === 'dump' ? 'dump' : 'manifest' };
}

/** The time a stamp names. */
export const timeOfStamp = (stamp: string): Date =>
  new Date(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`);
