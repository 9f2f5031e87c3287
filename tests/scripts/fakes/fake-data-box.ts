// A box's database and its data commands, in the fake AWS world: the backup script stores
// a dump of the box's rows and then its manifest in the project bucket (as the real one
// does with the aws CLI), the download checks the SHA-256 of what the bucket holds and
// keeps the file on the box, pg_restore renders it, the restore replaces the box's rows
// with the dump's, and the row count reads them. Every fake box carries one (BoxState's
// `data`); a flow that takes a RemoteRunner can also talk to one directly (dataRunner).
import { createHash } from 'node:crypto';
import { backupKeys, bucketName, kindTagging } from '../../../scripts/lib/aws/bucket-keys.js';
import { BACKUP_BIN, S3_BIN } from '../../../scripts/lib/box/layout.js';
import type { RemoteRunner } from '../../../scripts/lib/box/ssm-output.js';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import type { Reply } from './fake-box.js';
import type { FakeClock } from './fake-clock.js';
import { sha256Base64, type S3State } from './fake-s3.js';

export type DataStep = 'backup' | 'download' | 'render' | 'stop' | 'apply' | 'start' | 'count' | 'cleanup';

/** One box's database and what its data commands did. Plain data: a launch copies the world's. */
export interface BoxData {
  /** Rows per table, as the row count reports them. */
  rows: Record<string, number>;
  /** Replies that replace the healthy answer of a step. */
  failing: Partial<Record<DataStep, Reply>>;
  /** The steps the box ran, in order. */
  steps: DataStep[];
  /** Files on the box (downloaded dumps, rendered SQL), by path. */
  files: Record<string, string>;
}

/** A box whose database holds `rows` (by default, a few medications). */
export const boxData = (rows: Record<string, number> = { medications: 3, schema_migrations: 1 }): BoxData => ({ rows, failing: {}, steps: [], files: {} });

/** What of the world the data commands read and change. */
export type DataWorld = S3State & { clock: FakeClock };

/** pg_dump takes this long of the world's time, so two backups never share a stamp. */
export const DUMP_MS = 60_000;

const ok = (stdout = ''): Reply => ({ exitCode: 0, stdout });

function stepOf(line: string): DataStep | undefined {
  if (line.startsWith(`${BACKUP_BIN} `)) return 'backup';
  if (line.startsWith(`${S3_BIN} get `)) return 'download';
  if (line.includes('pg_restore --file=-')) return 'render';
  if (/ stop app$/.test(line)) return 'stop';
  if (line.includes('--single-transaction')) return 'apply';
  if (/ up --detach --no-deps --wait --wait-timeout \d+ app$/.test(line)) return 'start';
  if (line.includes('--tuples-only')) return 'count';
  if (line.startsWith('rm -f -- ')) return 'cleanup';
  return undefined;
}

/** A dump's body names its rows, so a restore can bring them back. */
const dumpOf = (env: string, stamp: string, rows: Record<string, number>): string => `PGDMP ${env} ${stamp} ${JSON.stringify(rows)}`;
const rowsOf = (dump: string): Record<string, number> => JSON.parse(dump.slice(dump.indexOf('{'))) as Record<string, number>;

/** Answers one command line on the box of `env` whose data this is; undefined for a line that is no data command. */
export function answerData(world: DataWorld, env: string, data: BoxData, line: string): Reply | undefined {
  const step = stepOf(line);
  if (!step) return undefined;
  data.steps.push(step);
  const failure = data.failing[step];
  if (failure) return failure;
  const bucket = bucketName(world.accountId, world.region);
  const words = line.split(' ');
  switch (step) {
    case 'backup':
      return backup(world, env, data, words[1] ?? '');
    case 'download': {
      const [, , key = '', expected = '', file = ''] = words;
      const object = world.buckets.get(bucket)?.objects.get(key);
      if (!object) return { exitCode: 254, stderr: 'An error occurred (NoSuchKey) when calling the GetObject operation\n' };
      const got = createHash('sha256').update(object.body).digest('hex');
      if (got !== expected) return { exitCode: 65, stderr: `checksum mismatch: s3://${bucket}/${key} has SHA-256 ${got}, expected ${expected}\n` };
      data.files[file] = object.body.toString();
      return ok();
    }
    case 'render': {
      const [, dump = '', sql = ''] = / sh (\S+\.dump) (\S+\.sql) /.exec(line) ?? [];
      const body = data.files[dump];
      if (body === undefined) return { exitCode: 1, stderr: `pg_restore: error: could not open input file "${dump}": No such file or directory\n` };
      data.files[sql] = body;
      return ok();
    }
    case 'apply': {
      const [, sql = ''] = / sh (\S+\.sql) /.exec(line) ?? [];
      const body = data.files[sql];
      if (body === undefined) return { exitCode: 1, stderr: `sh: ${sql}: No such file or directory\n` };
      data.rows = rowsOf(body);
      return ok();
    }
    case 'count':
      return ok(Object.entries(data.rows).map(([t, n]) => `${t}|${n}\n`).join(''));
    case 'cleanup':
      for (const file of words.slice(3)) delete data.files[file];
      return ok();
    default:
      return ok();
  }
}

function backup(world: DataWorld, env: string, data: BoxData, reason: string): Reply {
  const target = world.buckets.get(bucketName(world.accountId, world.region));
  if (!target) return { exitCode: 254, stderr: 'An error occurred (NoSuchBucket) when calling the PutObject operation\n' };
  world.clock.advance(DUMP_MS);
  const stamp = new Date(world.clock.now()).toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';
  const keys = backupKeys(env, stamp);
  const body = Buffer.from(dumpOf(env, stamp, data.rows));
  const sha256 = createHash('sha256').update(body).digest('hex');
  target.objects.set(keys.dump, { body, metadata: { sha256 }, checksumSha256: sha256Base64(body), tagging: kindTagging('backup') });
  const manifest = JSON.stringify({ key: keys.dump, sha256, bytes: body.length, reason, commit: 'c0ffee0000000000000000000000000000000000' });
  const json = Buffer.from(`${manifest}\n`);
  target.objects.set(keys.manifest, { body: json, metadata: { sha256: createHash('sha256').update(json).digest('hex') }, checksumSha256: sha256Base64(json), tagging: kindTagging('backup') });
  return ok(`${manifest}\n`);
}

/** A RemoteRunner straight onto one box's data (no SSM between), for the flows that take a runner. */
export const dataRunner =
  (world: DataWorld, env: string, data: BoxData): RemoteRunner =>
  async (argv) => {
    const reply = answerData(world, env, data, toShellLine(argv));
    if (!reply) throw new Error(`the data box does not know ${toShellLine(argv)}`);
    return { exitCode: reply.exitCode ?? 0, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' };
  };
