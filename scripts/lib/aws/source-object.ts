// The source archive of a commit in the environment's source prefix, read by the box with
// its instance role. Uploaded on every provision and deploy, even when the same bytes are
// there: a fresh upload restarts the archive's lifecycle expiry.
import type { SourceArchive } from '../core/source-archive.js';
import { sourceKey, sourcePrefix } from './bucket-keys.js';
import { deleteObjects, headObject, listObjects, putChecked } from './bucket-objects.js';
import type { Storage } from './bucket.js';

/** The archive the box is told to fetch, and the digest it must match. */
export interface ShippedSource {
  sha: string;
  key: string;
  sha256: string;
  bytes: number;
}

export const shippedSource = (env: string, archive: SourceArchive): ShippedSource => ({ sha: archive.sha, key: sourceKey(env, archive.sha), sha256: archive.sha256, bytes: archive.bytes });

/** True when the bucket already holds these exact bytes under the commit's key. */
export async function sourceUploaded(storage: Storage, source: ShippedSource): Promise<boolean> {
  const head = await headObject(storage, source.key);
  return head?.recordedSha256 === source.sha256 && head.bytes === source.bytes;
}

export async function uploadSource(storage: Storage, env: string, archive: SourceArchive): Promise<ShippedSource> {
  const source = shippedSource(env, archive);
  await putChecked(storage, { key: source.key, body: archive.body, kind: 'source', contentType: 'application/gzip' });
  return source;
}

/** Teardown: the environment's archives go with it (backups are kept unless asked). */
export async function deleteSources(storage: Storage, env: string): Promise<number> {
  const keys = (await listObjects(storage, sourcePrefix(env))).map((o) => o.key);
  return deleteObjects(storage, keys);
}
