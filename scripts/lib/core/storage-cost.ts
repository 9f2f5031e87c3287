// What keeping code and data in S3 costs. Price: S3 Standard, first 50 TB per month,
// US East (N. Virginia), https://aws.amazon.com/s3/pricing/ (other regions charge a little
// more). Requests (a few PUTs and GETs a day) cost fractions of a cent and are left out.
import { SOURCE_RETENTION_DAYS } from '../aws/bucket-keys.js';

export const S3_STANDARD_USD_PER_GB_MONTH = 0.023;

export interface StorageEstimate {
  /** Bytes the environment keeps in steady state. */
  keptBytes: number;
  monthlyUsd: number;
}

/**
 * Steady state: a source archive a day kept SOURCE_RETENTION_DAYS days, and one nightly
 * dump a day kept for the backup retention. A dump size is known only once a backup exists.
 */
export function storageEstimate({ sourceBytes, dumpBytes = 0, retentionDays }: { sourceBytes: number; dumpBytes?: number; retentionDays: number }): StorageEstimate {
  const keptBytes = sourceBytes * SOURCE_RETENTION_DAYS + dumpBytes * retentionDays;
  return { keptBytes, monthlyUsd: (keptBytes / 1e9) * S3_STANDARD_USD_PER_GB_MONTH };
}

/** 1.2 MB, 340 KB, 12 B (decimal units, as S3 bills). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
