// Objects in the project bucket: listed page by page, uploaded whole with their SHA-256,
// deleted in batches. Every call names the expected bucket owner.
import { createHash } from 'node:crypto';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3';
import { isForbidden, isGone } from '../core/aws-errors.js';
import { OperatorError } from '../core/operator-error.js';
import { kindTagging, type ObjectKind } from './bucket-keys.js';
import type { Storage } from './bucket.js';

export interface StoredObject {
  key: string;
  bytes: number;
  lastModified?: Date;
}

export const sha256Hex = (body: Uint8Array): string => createHash('sha256').update(body).digest('hex');
/** S3 takes and returns SHA-256 checksums as base64 of the raw digest. */
export const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

/** Every object under a prefix; a bucket that does not exist yet holds nothing. */
export async function listObjects(storage: Storage, prefix: string): Promise<StoredObject[]> {
  const found: StoredObject[] = [];
  try {
    for await (const page of paginateListObjectsV2({ client: storage.s3 }, { Bucket: storage.bucket, Prefix: prefix, ExpectedBucketOwner: storage.accountId })) {
      for (const o of page.Contents ?? []) if (o.Key) found.push({ key: o.Key, bytes: o.Size ?? 0, lastModified: o.LastModified });
    }
  } catch (err) {
    if (isGone(err)) return [];
    throw err;
  }
  return found;
}

export interface Upload {
  key: string;
  body: Uint8Array;
  kind: ObjectKind;
  contentType: string;
}

/**
 * One PutObject: S3 never shows a partial object, and it rejects the body unless it
 * matches the SHA-256 sent (BadDigest). The hex digest also goes in the metadata, where
 * the box and the CLI read it back.
 */
export async function putChecked(storage: Storage, upload: Upload): Promise<string> {
  const sha256 = sha256Hex(upload.body);
  try {
    await storage.s3.send(
      new PutObjectCommand({
        Bucket: storage.bucket,
        ExpectedBucketOwner: storage.accountId,
        Key: upload.key,
        Body: upload.body,
        ContentType: upload.contentType,
        ChecksumSHA256: hexToBase64(sha256),
        Metadata: { sha256 },
        Tagging: kindTagging(upload.kind),
      }),
    );
  } catch (err) {
    if (isGone(err)) {
      throw new OperatorError(`The bucket ${storage.bucket} does not exist.`, 'Run `npm run provision` once; it creates and configures the bucket.');
    }
    throw err;
  }
  return sha256;
}

export interface ObjectHead {
  bytes: number;
  /** The hex SHA-256 the uploader recorded in the metadata. */
  recordedSha256?: string;
  /** The SHA-256 S3 verified at upload, as hex; absent for an upload sent without one. */
  storedSha256?: string;
}

/** HeadObject with ChecksumMode, so S3 returns the checksum it holds; undefined when missing. */
export async function headObject(storage: Storage, key: string): Promise<ObjectHead | undefined> {
  try {
    const out = await storage.s3.send(new HeadObjectCommand({ Bucket: storage.bucket, ExpectedBucketOwner: storage.accountId, Key: key, ChecksumMode: 'ENABLED' }));
    // A multipart upload's checksum is a checksum of checksums ("…-3"): not the object's SHA-256.
    const stored = out.ChecksumSHA256 && !out.ChecksumSHA256.includes('-') ? Buffer.from(out.ChecksumSHA256, 'base64').toString('hex') : undefined;
    return { bytes: out.ContentLength ?? 0, recordedSha256: out.Metadata?.sha256, storedSha256: stored };
  } catch (err) {
    if (isGone(err)) return undefined;
    if (isForbidden(err)) {
      throw new OperatorError(
        `S3 answered 403 to HeadObject on s3://${storage.bucket}/${key}, with no reason (a HEAD response has no body).`,
        'Likely the credentials may not read that prefix (the S3 actions of docs/deploy-role-policy.json), or the bucket belongs to another account; check AWS_PROFILE.',
      );
    }
    throw err;
  }
}

/** A small object (a manifest) as text. */
export async function getText(storage: Storage, key: string): Promise<string> {
  const out = await storage.s3.send(new GetObjectCommand({ Bucket: storage.bucket, ExpectedBucketOwner: storage.accountId, Key: key }));
  if (!out.Body) throw new Error(`GetObject ${key} returned no body`);
  return out.Body.transformToString('utf8');
}

/** DeleteObjects takes at most 1,000 keys; a key it could not delete fails the whole call. */
export async function deleteObjects(storage: Storage, keys: readonly string[]): Promise<number> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const out = await storage.s3.send(
      new DeleteObjectsCommand({ Bucket: storage.bucket, ExpectedBucketOwner: storage.accountId, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
    );
    const failed = out.Errors ?? [];
    if (failed.length > 0) {
      throw new OperatorError(`S3 kept ${failed.length} object(s), e.g. ${failed[0]?.Key}: ${failed[0]?.Code} ${failed[0]?.Message ?? ''}`.trim(), 'Run the command again; deleting what is already gone is fine.');
    }
  }
  return keys.length;
}
