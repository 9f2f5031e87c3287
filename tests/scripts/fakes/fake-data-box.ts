// A box's data commands against the fake S3: the backup script stores a dump and then its
// manifest in the bucket (as the real one does with the aws CLI), the download checks the
// SHA-256 of what the bucket holds, and the PostgreSQL steps answer as a healthy server
// would. It answers shell lines (what SSM carries); everything it ran is recorded.
import { createHash } from 'node:crypto';
import { backupKeys, kindTagging } from '../../../scripts/lib/aws/bucket-keys.js';
import { BACKUP_BIN, S3_BIN } from '../../../scripts/lib/box/layout.js';
import type { RemoteRunner } from '../../../scripts/lib/box/ssm-output.js';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import type { BoxReply } from './fake-aws.js';
import { sha256Base64, type S3World } from './fake-s3.js';

export type DataStep = 'backup' | 'download' | 'render' | 'stop' | 'apply' | 'start' | 'count' | 'cleanup';

export interface DataBox {
  /** The step names, in the order the box ran them. */
  steps: DataStep[];
  /** Replies that replace the healthy answer of a step. */
  failing: Partial<Record<DataStep, BoxReply>>;
  rows: Record<string, number>;
  /** Answers one command line, or undefined for a line that is not a data command. */
  answer(line: string): BoxReply | undefined;
  /** For fake-aws's `box.run`: an SSM script, `set -eu` and one command line. */
  script(script: string): BoxReply | undefined;
  /** A RemoteRunner over this box. */
  runner: RemoteRunner;
}

const ok = (stdout = ''): BoxReply => ({ exitCode: 0, stdout });

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

export function dataBox(s3: S3World, { env, bucket, start = Date.parse('2026-11-21T10:00:00Z') }: { env: string; bucket: string; start?: number }): DataBox {
  let clock = start;
  const box: DataBox = {
    steps: [],
    failing: {},
    rows: { medications: 3, schema_migrations: 1 },
    answer(line) {
      const step = stepOf(line);
      if (!step) return undefined;
      box.steps.push(step);
      const failure = box.failing[step];
      if (failure) return failure;
      if (step === 'backup') return backup(line.split(' ')[1] ?? '');
      if (step === 'download') return download(line.split(' '));
      if (step === 'count') return ok(Object.entries(box.rows).map(([t, n]) => `${t}|${n}\n`).join(''));
      return ok();
    },
    script: (script) => box.answer(script.split('\n').slice(1).join('\n')),
    runner: async (argv) => {
      const reply = box.answer(toShellLine(argv));
      if (!reply) throw new Error(`the data box does not know ${toShellLine(argv)}`);
      return { exitCode: reply.exitCode, stdout: reply.stdout, stderr: reply.stderr ?? '' };
    },
  };

  function backup(reason: string): BoxReply {
    const target = s3.buckets.get(bucket);
    if (!target) return { exitCode: 254, stdout: '', stderr: 'An error occurred (NoSuchBucket) when calling the PutObject operation\n' };
    clock += 60_000;
    const stamp = new Date(clock).toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';
    const keys = backupKeys(env, stamp);
    const body = Buffer.from(`PGDMP dump of ${env} at ${stamp}`);
    const sha256 = createHash('sha256').update(body).digest('hex');
    target.objects.set(keys.dump, { body, metadata: { sha256 }, checksumSha256: sha256Base64(body), tagging: kindTagging('backup') });
    const manifest = JSON.stringify({ key: keys.dump, sha256, bytes: body.length, reason, commit: 'c0ffee0000000000000000000000000000000000' });
    const json = Buffer.from(`${manifest}\n`);
    target.objects.set(keys.manifest, { body: json, metadata: { sha256: createHash('sha256').update(json).digest('hex') }, checksumSha256: sha256Base64(json), tagging: kindTagging('backup') });
    return ok(`${manifest}\n`);
  }

  function download([, , key = '', expected = '']: string[]): BoxReply {
    const object = s3.buckets.get(bucket)?.objects.get(key);
    if (!object) return { exitCode: 254, stdout: '', stderr: 'An error occurred (NoSuchKey) when calling the GetObject operation\n' };
    const got = createHash('sha256').update(object.body).digest('hex');
    if (got !== expected) return { exitCode: 65, stdout: '', stderr: `checksum mismatch: s3://${bucket}/${key} has SHA-256 ${got}, expected ${expected}\n` };
    return ok();
  }

  return box;
}
