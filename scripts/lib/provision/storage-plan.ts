// What provision does with the project bucket and the environment's data, worked out from
// its settings and what exists. Pure: no clients, no I/O.
import { backupsPrefix } from '../aws/bucket-keys.js';
import type { BucketState } from '../aws/bucket.js';
import type { ShippedSource } from '../aws/source-object.js';
import { OperatorError } from '../core/operator-error.js';
import type { Step } from '../core/step.js';
import { formatBytes } from '../core/storage-cost.js';

export interface ObservedStorage {
  bucket: BucketState;
  /** The bucket already holds this commit's archive, byte for byte. */
  sourceUploaded: boolean;
  /** Size of the environment's newest complete backup, when there is one. */
  latestDumpBytes?: number;
}

export const BUCKET_SETTINGS = 'public access blocked, SSE-S3, TLS only, lifecycle, tags';

export function planStorage(bucket: string, source: ShippedSource, seen: ObservedStorage): Step[] {
  return [
    seen.bucket === 'missing'
      ? { action: 'create', resource: 'bucket', name: bucket, detail: BUCKET_SETTINGS }
      : { action: 'update', resource: 'bucket', name: bucket, detail: `${BUCKET_SETTINGS}, written again so they converge` },
    {
      action: seen.sourceUploaded ? 'update' : 'create',
      resource: 'source',
      name: source.key,
      detail: `${formatBytes(source.bytes)}, sha256 ${source.sha256.slice(0, 12)}…${seen.sourceUploaded ? ', uploaded again to restart its expiry' : ''}`,
    },
  ];
}

export interface DataIntent {
  env: string;
  /** Skip the backup of a box that --replace terminates. */
  noBackup: boolean;
  /** --restore: latest or a backup key. */
  restore?: string;
}

const launches = (s: Step): boolean => s.resource === 'instance' && (s.action === 'create' || s.action === 'replace');

/**
 * The whole plan: the bucket and the source first (the new box downloads it), a backup of
 * the box --replace retires before the new one is launched, and the restore last, once the
 * new app is ready (and before a replaced box goes). The new box is seeded from --restore,
 * or else from that backup, so the data moves with the environment. --restore seeds a new
 * box only; it never overwrites a box that keeps running.
 */
export function withData(envSteps: readonly Step[], storageSteps: readonly Step[], intent: DataIntent): Step[] {
  if (intent.restore && !envSteps.some(launches)) {
    throw new OperatorError(`--restore seeds a new box, and the box of ${intent.env} keeps running.`, `Restore into it with \`npm run restore -- --from ${intent.restore}\`, or add --replace.`);
  }
  const replaced = envSteps.find((s) => s.resource === 'instance' && s.action === 'replace');
  const backup: Step[] =
    replaced && !intent.noBackup ? [{ action: 'create', resource: 'backup', name: replaced.name, detail: `its data to ${backupsPrefix(intent.env)} before the new box is launched (--no-backup skips)` }] : [];
  const seed = intent.restore ?? (replaced && backup.length > 0 ? `the backup of ${replaced.name}` : undefined);
  const ready = replaced ? `once the new app is ready, before ${replaced.name} goes` : 'once the new app is ready';
  const restore: Step[] = seed ? [{ action: 'update', resource: 'database', name: `from ${seed}`, detail: ready }] : [];
  const firstInstance = envSteps.findIndex((s) => s.resource === 'instance');
  return [...storageSteps, ...envSteps.slice(0, firstInstance), ...backup, ...envSteps.slice(firstInstance), ...restore];
}
