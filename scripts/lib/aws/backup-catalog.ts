// The backups in the project bucket. A backup is a dump plus its manifest, which the box
// writes last: a dump without a manifest (an upload that stopped half-way) is listed as
// incomplete and is never "latest". Before a restore, the manifest, the listing and the
// SHA-256 S3 holds must all agree.
import { z } from 'zod';
import { OperatorError } from '../core/operator-error.js';
import { backupKeys, backupsPrefix, ENVS_PREFIX, parseBackupKey, timeOfStamp } from './bucket-keys.js';
import { getText, headObject, listObjects } from './bucket-objects.js';
import type { Storage } from './bucket.js';

export interface BackupEntry {
  env: string;
  stamp: string;
  at: Date;
  /** The dump's key. */
  key: string;
  /** Size of the dump (0 when only the manifest is there). */
  bytes: number;
  complete: boolean;
}

/** Every backup of one environment (or of all), newest first. */
export async function listBackups(storage: Storage, env?: string): Promise<BackupEntry[]> {
  const parts = new Map<string, { env: string; stamp: string; dump?: number; manifest: boolean }>();
  for (const object of await listObjects(storage, env ? backupsPrefix(env) : ENVS_PREFIX)) {
    const parsed = parseBackupKey(object.key);
    if (!parsed) continue;
    const id = `${parsed.env}/${parsed.stamp}`;
    const entry = parts.get(id) ?? { env: parsed.env, stamp: parsed.stamp, manifest: false };
    if (parsed.part === 'dump') entry.dump = object.bytes;
    else entry.manifest = true;
    parts.set(id, entry);
  }
  return [...parts.values()]
    .map((p) => ({ env: p.env, stamp: p.stamp, at: timeOfStamp(p.stamp), key: backupKeys(p.env, p.stamp).dump, bytes: p.dump ?? 0, complete: p.dump !== undefined && p.manifest }))
    .sort((a, b) => b.stamp.localeCompare(a.stamp) || a.env.localeCompare(b.env));
}

/** What the box wrote about a dump, after the dump was stored. */
export const manifestSchema = z.object({
  key: z.string(),
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
  bytes: z.number().int().nonnegative(),
  reason: z.string(),
  commit: z.string(),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** `hint`: what to do about it where it was read (restore picks another backup; a backup checks the box). */
export function parseManifest(text: string, where: string, hint = 'Pick another backup from `npm run backups`.'): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) throw new OperatorError(`The manifest ${where} is not one pillbox wrote: ${JSON.stringify(text.slice(0, 120))}`, hint);
  return parsed.data;
}

export interface VerifiedBackup extends BackupEntry {
  sha256: string;
  reason: string;
  commit: string;
}

/** `latest`, a stamp, `<stamp>.dump`, or the full key, within the environment's backups. */
export function selectBackup(entries: readonly BackupEntry[], env: string, from: string, bucket: string): BackupEntry {
  if (from === 'latest') {
    const latest = entries.find((e) => e.env === env && e.complete);
    if (!latest) {
      throw new OperatorError(`Environment ${env} has no complete backup in s3://${bucket}/${backupsPrefix(env)}.`, 'Take one on a running box with `npm run backup`; `npm run backups` lists what exists.');
    }
    return latest;
  }
  const named = parseBackupKey(from) ?? parseBackupKey(`${backupsPrefix(env)}${from.endsWith('.dump') ? from : `${from}.dump`}`);
  if (!named) throw new OperatorError(`--from ${from}: expected latest, or a backup key or time such as 20261121T030000Z.`, '`npm run backups` lists the backups with their keys.');
  if (named.env !== env) {
    throw new OperatorError(`--from ${from} is a backup of ${named.env}, and the box of ${env} can read only its own backups.`, `Restore it into ${named.env} (--env ${named.env}).`);
  }
  const entry = entries.find((e) => e.env === env && e.stamp === named.stamp);
  if (!entry) throw new OperatorError(`There is no backup ${backupKeys(env, named.stamp).dump} in s3://${bucket}.`, '`npm run backups` lists the backups with their keys.');
  if (!entry.complete) {
    throw new OperatorError(`The backup ${entry.key} is incomplete: its ${entry.bytes === 0 ? 'dump' : 'manifest'} is missing, so its upload never finished.`, 'Pick a complete one from `npm run backups`.');
  }
  return entry;
}

/**
 * Finds the backup and proves it whole before anything on the box changes: the manifest
 * names this dump and its size, and the SHA-256 S3 verified at upload is the manifest's.
 */
export async function resolveBackup(storage: Storage, env: string, from: string): Promise<VerifiedBackup> {
  const entry = selectBackup(await listBackups(storage, env), env, from, storage.bucket);
  const keys = backupKeys(env, entry.stamp);
  const manifest = parseManifest(await getText(storage, keys.manifest), keys.manifest);
  const refuse = (why: string) => new OperatorError(`Refusing to restore ${entry.key}: ${why}.`, 'The backup is damaged or was replaced by hand; pick another from `npm run backups`.');
  if (manifest.key !== entry.key || manifest.bytes !== entry.bytes) {
    throw refuse(`its manifest describes ${manifest.key} (${manifest.bytes} bytes), the bucket holds ${entry.bytes} bytes`);
  }
  const head = await headObject(storage, entry.key);
  if (!head?.storedSha256) throw refuse('S3 holds no SHA-256 for it, so it was not uploaded by pillbox');
  if (head.storedSha256 !== manifest.sha256 || head.recordedSha256 !== manifest.sha256) {
    throw refuse(`checksum mismatch: the manifest says SHA-256 ${manifest.sha256}, S3 holds ${head.storedSha256}`);
  }
  return { ...entry, sha256: manifest.sha256, reason: manifest.reason, commit: manifest.commit };
}
