// The box's data path run for real: the rendered cloud-init scripts (source, s3, backup) and
// the restore commands the CLI sends, under sh, against real PostgreSQL servers with the real
// pg_dump, pg_restore and psql. Only docker and aws are stand-ins: `docker compose exec -T
// postgres <argv>` runs <argv> here, and the aws CLI's get-object / put-object work on a
// directory that refuses a wrong owner or a body that does not match its SHA-256, as S3 does.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import pg from 'pg';
import { pino } from 'pino';
import { migrate } from '../../app/src/db/migrate.js';
import { createSequelize } from '../../app/src/db/sequelize.js';
import { parseManifest } from '../../scripts/lib/aws/backup-catalog.js';
import { backupKeys, sourceKey } from '../../scripts/lib/aws/bucket-keys.js';
import { parseRowCounts } from '../../scripts/lib/box/postgres-commands.js';
import { toScript, type Argv } from '../../scripts/lib/box/ssm-run.js';
import { CLOUD_INIT_DIR, fillPlaceholders, placeholders } from '../../scripts/lib/box/user-data.js';
import { systemArchive } from '../../scripts/lib/core/source-archive.js';
import { applyCommand, downloadCommand, renderSqlCommand, rowCountsCommand, startAppCommand, stopAppCommand } from '../../scripts/lib/restore/plan.js';
import { postgresFactory, type PostgresFactory, type PostgresServer } from '../support/debian-postgres.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ACCOUNT = '123456789012';
const BUCKET = `pillbox-${ACCOUNT}-eu-west-1`;
const ENV = 'dev';

// Stand-in for the docker CLI: only the compose calls the box makes.
const DOCKER = `#!/bin/sh
echo "docker $*" >>"$BOX_LOG"
[ "$1" = compose ] || { echo "unexpected docker $*" >&2; exit 90; }
shift
while [ $# -gt 0 ]; do
  case "$1" in
    --project-directory | --file | --env-file) shift 2 ;;
    exec)
      [ "$2 $3" = "-T postgres" ] || { echo "unexpected compose exec $*" >&2; exit 91; }
      shift 3
      cmd=$1
      shift
      exec "$PG_BIN/$cmd" "$@" ;;
    stop | up) exit 0 ;;
    *) echo "unexpected compose $*" >&2; exit 92 ;;
  esac
done
`;

// Stand-in for the aws CLI's two S3 calls, on a directory.
const AWS = `#!/bin/sh
echo "aws $*" >>"$BOX_LOG"
[ "$1" = s3api ] || exit 90
op=$2
shift 2
out=
while [ $# -gt 0 ]; do
  case "$1" in
    --key) key=$2; shift 2 ;;
    --body) body=$2; shift 2 ;;
    --checksum-sha256) sum=$2; shift 2 ;;
    --bucket) bucket=$2; shift 2 ;;
    --expected-bucket-owner) owner=$2; shift 2 ;;
    --region | --metadata | --tagging) shift 2 ;;
    --*) echo "unexpected option $1" >&2; exit 93 ;;
    *) out=$1; shift ;;
  esac
done
[ "$bucket" = "$S3_BUCKET" ] && [ "$owner" = "$S3_OWNER" ] || { echo "An error occurred (AccessDenied)" >&2; exit 254; }
obj="$S3_DIR/$key"
case "$op" in
  put-object)
    [ "$(openssl dgst -sha256 -binary "$body" | base64)" = "$sum" ] || { echo "An error occurred (BadDigest)" >&2; exit 254; }
    mkdir -p "$(dirname "$obj")"
    cp "$body" "$obj" ;;
  get-object)
    [ -f "$obj" ] || { echo "An error occurred (NoSuchKey)" >&2; exit 254; }
    cp "$obj" "$out" ;;
  *) exit 94 ;;
esac
`;

interface Box {
  dir: string;
  s3: string;
  bin: string;
  log: string;
  /** Where the box's paths point here. */
  paths: { box: string; work: string; s3Bin: string; sourceBin: string; backupBin: string };
  db: PostgresServer;
  /** Runs one argv the way SSM does (set -eu, then the line), with the box's paths. */
  send(argv: Argv): { code: number; stdout: string; stderr: string };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the box data path, for real (PostgreSQL, pg_dump, pg_restore, psql, the cloud-init scripts)', function () {
  this.timeout(60_000);
  let factory: PostgresFactory;
  const boxes: Box[] = [];
  before(() => (factory = postgresFactory()));
  after(() => factory?.close());
  afterEach(() => {
    for (const box of boxes.splice(0)) {
      box.db.stop();
      rmSync(box.dir, { recursive: true, force: true });
      rmSync(box.s3, { recursive: true, force: true });
    }
  });

  /** A box: its own PostgreSQL, the rendered scripts at local paths, the stand-ins on PATH, a shared bucket directory. */
  async function aBox(s3 = mkdtempSync(join(tmpdir(), 'pillbox-bucket-'))): Promise<Box> {
    const dir = mkdtempSync(join(tmpdir(), 'pillbox-box-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const paths = { box: join(dir, 'opt-pillbox'), work: join(dir, 'work'), s3Bin: join(bin, 'pillbox-s3'), retryBin: join(bin, 'pillbox-aws-retry'), sourceBin: join(bin, 'pillbox-source'), backupBin: join(bin, 'pillbox-backup') };
    const values = {
      ...placeholders({ env: ENV, region: 'eu-west-1', allowedCidr: '203.0.113.7/32', accountId: ACCOUNT, gitSha: '0'.repeat(40), source: { key: sourceKey(ENV, '0'.repeat(40)), sha256: '0'.repeat(64) }, expiresAt: new Date('2026-11-22T06:30:00Z') }),
      SETTINGS_ENV: join(dir, 'pillbox.env'),
      BOX_DIR: paths.box,
      RELEASES_DIR: join(dir, 'releases'),
      WORK_DIR: paths.work,
      S3_BIN: paths.s3Bin,
      AWS_RETRY_BIN: paths.retryBin,
      SOURCE_BIN: paths.sourceBin,
      BACKUP_BIN: paths.backupBin,
    };
    const render = (name: string, to: string) => {
      writeFileSync(to, fillPlaceholders(readFileSync(`${CLOUD_INIT_DIR}${name}`, 'utf8'), values, name));
      chmodSync(to, 0o755);
    };
    render('settings.env', values.SETTINGS_ENV);
    render('s3.sh', paths.s3Bin);
    render('aws-retry.sh', paths.retryBin);
    render('source.sh', paths.sourceBin);
    render('backup.sh', paths.backupBin);
    writeFileSync(join(bin, 'docker'), DOCKER);
    writeFileSync(join(bin, 'aws'), AWS);
    chmodSync(join(bin, 'docker'), 0o755);
    chmodSync(join(bin, 'aws'), 0o755);
    const db = await factory.start();
    const log = join(dir, 'box.log');
    const env = { ...process.env, ...db.env, PATH: `${bin}:${db.env.PATH}`, PG_BIN: factory.bin, BOX_LOG: log, S3_DIR: s3, S3_BUCKET: BUCKET, S3_OWNER: ACCOUNT };
    const local = (argv: Argv): Argv => argv.map((a) => (a === '/usr/local/sbin/pillbox-s3' ? paths.s3Bin : a));
    const box: Box = {
      dir,
      s3,
      bin,
      log,
      paths,
      db,
      send: (argv) => {
        const r = spawnSync('sh', ['-c', toScript([local(argv)]).join('\n')], { env, encoding: 'utf8' });
        return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
      },
    };
    boxes.push(box);
    return box;
  }

  /** What the postgres image does on an empty volume: compose/postgres/init-app-role.sh, for real. */
  function initAppRole(box: Box): void {
    execFileSync('bash', [join(ROOT, 'compose/postgres/init-app-role.sh')], { env: { ...process.env, ...box.db.env, POSTGRES_USER: 'postgres', APP_DB_PASSWORD: 'app-secret' }, stdio: 'pipe' });
  }

  const appUrl = (box: Box) => `postgres://pillbox_app:app-secret@127.0.0.1:${box.db.port}/pillbox`;

  /** The app starting on the box: its own migrations, as its own role. */
  async function migrateAsApp(box: Box): Promise<void> {
    const sequelize = createSequelize(appUrl(box), 2);
    try {
      await migrate(appUrl(box), sequelize, pino({ level: 'silent' }));
    } finally {
      await sequelize.close();
    }
  }

  async function asApp<T>(box: Box, sql: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: appUrl(box) });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }

  const insert = (name: string) => `INSERT INTO medications (name, strength, unit, form) VALUES ('${name}', 200, 'mg', 'tablet') RETURNING id`;

  /** A box whose app has run: three medications added, the last one deleted (so max(id) < the sequence). */
  async function aBoxWithData(): Promise<Box> {
    const box = await aBox();
    initAppRole(box);
    await migrateAsApp(box);
    for (const name of ['Ibuprofen', 'Paracetamol', 'Aspirin']) await asApp(box, insert(name));
    await asApp(box, "DELETE FROM medications WHERE name = 'Aspirin'");
    return box;
  }

  function backup(box: Box, reason = 'manual') {
    const out = box.send([box.paths.backupBin, reason]);
    expect(out.code, out.stderr).to.equal(0);
    return parseManifest(out.stdout.trim().split('\n').at(-1) ?? '', 'the test');
  }

  /** The restore commands of the CLI, in its order, on a box; returns the first failure. */
  function restore(box: Box, key: string, digest: string): { failed?: string; stderr: string; rows?: Record<string, number> } {
    const files = { dump: join(box.paths.work, 'restore-feedc0de.dump'), sql: join(box.paths.work, 'restore-feedc0de.sql') };
    const steps: [string, Argv][] = [
      ['download', downloadCommand(key, digest, files.dump)],
      ['render', renderSqlCommand(files)],
      ['stop', stopAppCommand()],
      ['apply', applyCommand(files)],
      ['start', startAppCommand(60)],
    ];
    for (const [name, argv] of steps) {
      const out = box.send(argv);
      if (out.code !== 0) return { failed: name, stderr: out.stderr };
    }
    const counts = box.send(rowCountsCommand());
    return { stderr: counts.stderr, rows: parseRowCounts(counts.stdout) };
  }

  it('ships the source: fetches the archive, checks its SHA-256, unpacks and activates it; a wrong digest changes nothing', async () => {
    const box = await aBox();
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const archive = await systemArchive(ROOT)(sha);
    const key = sourceKey(ENV, sha);
    mkdirSync(join(box.s3, 'envs/dev/source'), { recursive: true });
    writeFileSync(join(box.s3, key), archive);
    const digest = createHash('sha256').update(archive).digest('hex');
    const wrong = box.send([box.paths.sourceBin, 'fetch', sha, '0'.repeat(64), key]);
    expect(wrong.code).to.equal(65);
    expect(wrong.stderr).to.match(/checksum mismatch: s3:\/\/pillbox-123456789012-eu-west-1\/envs\/dev\/source\/[0-9a-f]{40}\.tar\.gz has SHA-256 [0-9a-f]{64}, expected 0{64}/);
    expect(existsSync(join(box.dir, 'releases', sha))).to.equal(false);
    for (const argv of [
      [box.paths.sourceBin, 'fetch', sha, digest, key],
      [box.paths.sourceBin, 'activate', sha],
    ]) {
      const out = box.send(argv);
      expect(out.code, out.stderr).to.equal(0);
    }
    expect(readlinkSync(box.paths.box)).to.equal(join(box.dir, 'releases', sha));
    expect(readFileSync(join(box.paths.box, '.pillbox-commit'), 'utf8')).to.equal(`${sha}\n`);
    expect(existsSync(join(box.paths.box, 'compose/compose.yaml'))).to.equal(true);
    expect(existsSync(join(box.paths.box, '.git'))).to.equal(false);
    expect(box.send([box.paths.sourceBin, 'activate', '1'.repeat(40)]).code, 'a commit never fetched').to.equal(66);
    expect(box.send([box.paths.sourceBin, 'activate', '../../etc']).code, 'not a commit').to.equal(64);
  });

  it('backs up with pg_dump -Fc: the dump, then its manifest, each sent with its SHA-256 and the backup tag', async () => {
    const box = await aBoxWithData();
    mkdirSync(box.paths.box, { recursive: true });
    writeFileSync(join(box.paths.box, '.pillbox-commit'), `${'c'.repeat(40)}\n`);
    const manifest = backup(box, 'nightly');
    const stamp = /backups\/(\d{8}T\d{6}Z)\.dump$/.exec(manifest.key)?.[1] ?? '';
    const keys = backupKeys(ENV, stamp);
    expect(manifest).to.deep.include({ key: keys.dump, reason: 'nightly', commit: 'c'.repeat(40) });
    const dump = join(box.s3, keys.dump);
    expect(readFileSync(dump).subarray(0, 5).toString()).to.equal('PGDMP');
    expect(manifest.sha256).to.equal(sha256(dump));
    expect(manifest.bytes).to.equal(readFileSync(dump).length);
    expect(JSON.parse(readFileSync(join(box.s3, keys.manifest), 'utf8'))).to.deep.equal(manifest);
    const puts = readFileSync(box.log, 'utf8').split('\n').filter((l) => l.startsWith('aws s3api put-object'));
    expect(puts.map((l) => /--key (\S+)/.exec(l)?.[1])).to.deep.equal([keys.dump, keys.manifest], 'the manifest goes last');
    for (const put of puts) expect(put).to.match(/--checksum-sha256 \S+ --metadata sha256=[0-9a-f]{64} --tagging pillbox-kind=backup --region eu-west-1 --bucket pillbox-123456789012-eu-west-1 --expected-bucket-owner 123456789012$/);
    expect(readFileSync(box.log, 'utf8')).to.include(' exec -T postgres pg_dump --username=postgres --dbname=pillbox --no-password --format=custom');
    expect(existsSync(join(box.paths.work, `backup-${stamp}.dump`)), 'no dump left on the box').to.equal(false);
  });

  it('restores into a new box in one transaction: rows, the next id and the app role\'s ownership survive', async () => {
    const old = await aBoxWithData();
    mkdirSync(old.paths.box, { recursive: true });
    writeFileSync(join(old.paths.box, '.pillbox-commit'), `${'c'.repeat(40)}\n`);
    const manifest = backup(old);
    const before = await asApp<{ id: number; name: string }>(old, 'SELECT id, name FROM medications ORDER BY id');

    const fresh = await aBox(old.s3);
    initAppRole(fresh);
    await migrateAsApp(fresh);
    await asApp(fresh, insert('Stray'));
    const result = restore(fresh, manifest.key, manifest.sha256);
    expect(result.failed, result.stderr).to.equal(undefined);

    expect(await asApp(fresh, 'SELECT id, name FROM medications ORDER BY id')).to.deep.equal(before);
    expect(result.rows).to.deep.equal({ medications: 2, schema_migrations: 1 });
    const [next] = await asApp<{ id: number }>(fresh, insert('Naproxen'));
    expect(next?.id, 'the sequence continues after the deleted row, not after max(id)').to.equal(4);
    const owners = await asApp<{ kind: string; name: string; owner: string }>(
      fresh,
      `SELECT 'schema' AS kind, nspname AS name, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'pillbox'
       UNION ALL SELECT c.relkind::text, c.relname, pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'pillbox' AND c.relkind IN ('r', 'S') ORDER BY 1, 2`,
    );
    expect(owners.map((o) => `${o.kind} ${o.name} ${o.owner}`)).to.deep.equal([
      'S medications_id_seq pillbox_app',
      'r medications pillbox_app',
      'r schema_migrations pillbox_app',
      'schema pillbox pillbox_app',
    ]);
    const steps = readFileSync(fresh.log, 'utf8');
    expect(steps.indexOf(' stop app')).to.be.lessThan(steps.indexOf('--single-transaction'));
    expect(steps.indexOf('--single-transaction')).to.be.lessThan(steps.indexOf(' up --detach --no-deps --wait'));
  });

  it('refuses a dump whose SHA-256 does not match, before the app is stopped, leaving no file', async () => {
    const old = await aBoxWithData();
    mkdirSync(old.paths.box, { recursive: true });
    writeFileSync(join(old.paths.box, '.pillbox-commit'), `${'c'.repeat(40)}\n`);
    const manifest = backup(old);
    const stored = join(old.s3, manifest.key);
    const bytes = readFileSync(stored);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    writeFileSync(stored, bytes);
    const result = restore(old, manifest.key, manifest.sha256);
    expect(result.failed).to.equal('download');
    expect(result.stderr).to.match(/checksum mismatch/);
    expect(readFileSync(old.log, 'utf8')).not.to.include(' stop app');
    expect(existsSync(join(old.paths.work, 'restore-feedc0de.dump'))).to.equal(false);
    expect(existsSync(join(old.paths.work, 'restore-feedc0de.dump.part'))).to.equal(false);
  });

  it('refuses a truncated dump at pg_restore, and rolls everything back when the SQL fails half-way', async () => {
    const old = await aBoxWithData();
    mkdirSync(old.paths.box, { recursive: true });
    writeFileSync(join(old.paths.box, '.pillbox-commit'), `${'c'.repeat(40)}\n`);
    const manifest = backup(old);
    const files = { dump: join(old.paths.work, 'restore-feedc0de.dump'), sql: join(old.paths.work, 'restore-feedc0de.sql') };
    expect(old.send(downloadCommand(manifest.key, manifest.sha256, files.dump)).code).to.equal(0);
    const before = await asApp(old, 'SELECT id, name FROM medications ORDER BY id');

    // A dump cut short: pg_restore cannot read it whole, so no SQL is applied.
    const whole = readFileSync(files.dump);
    truncateSync(files.dump, Math.floor(whole.length / 2));
    expect(old.send(renderSqlCommand(files)).code).to.not.equal(0);
    writeFileSync(files.dump, whole);

    // SQL that breaks after the schema was dropped and half of it recreated: nothing of it stays.
    expect(old.send(renderSqlCommand(files)).code).to.equal(0);
    const sql = readFileSync(files.sql, 'utf8');
    writeFileSync(files.sql, sql.replace(/^1\tIbuprofen\t/m, 'not-a-number\tIbuprofen\t'));
    const apply = old.send(applyCommand(files));
    expect(apply.code).to.not.equal(0);
    expect(apply.stderr).to.match(/invalid input syntax for type integer/);
    expect(await asApp(old, 'SELECT id, name FROM medications ORDER BY id')).to.deep.equal(before);
  });
});
