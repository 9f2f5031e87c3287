import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { backupKeys } from '../../../scripts/lib/aws/bucket-keys.js';
import { storageFor } from '../../../scripts/lib/aws/bucket.js';
import { Progress } from '../../../scripts/lib/core/progress.js';
import { restoreDatabase, type RestoreDeps } from '../../../scripts/lib/restore/run.js';
import { aWorld, fakeAws, rejection, type FakeAws, type World } from '../fakes/fake-aws.js';
import { boxData, dataRunner, type BoxData } from '../fakes/fake-data-box.js';
import { aBucket, sha256Base64 } from '../fakes/fake-s3.js';

const BUCKET = 'pillbox-123456789012-eu-west-1';
const request = { env: 'dev', from: 'latest', backupFirst: true, healthTimeoutSeconds: 120 };

describe('restore', () => {
  let world: World;
  let fake: FakeAws;
  let box: BoxData;
  let questions: string[];
  let deps: RestoreDeps;
  beforeEach(async () => {
    world = aWorld();
    fake = fakeAws(world);
    aBucket(world, BUCKET);
    box = boxData();
    const run = dataRunner(world, 'dev', box);
    questions = [];
    deps = {
      run,
      storage: storageFor(fake.s3, world.accountId, world.region),
      progress: new Progress({ stream: new PassThrough() }),
      newId: () => 'feedc0de',
      confirm: async (q) => (questions.push(q), true),
    };
    // Two nights of backups, taken by the box itself.
    await run(['/usr/local/sbin/pillbox-backup', 'nightly']);
    await run(['/usr/local/sbin/pillbox-backup', 'nightly']);
    box.steps.length = 0;
  });
  afterEach(() => fake.restore());

  it('backs up the data it replaces, then downloads, renders, stops the app, applies, starts it and counts rows', async () => {
    const result = await restoreDatabase(deps, request);
    expect(box.steps).to.deep.equal(['backup', 'download', 'render', 'stop', 'apply', 'start', 'count', 'cleanup']);
    expect(result?.rows).to.deep.equal({ medications: 3, schema_migrations: 1 });
    expect(result?.before?.reason).to.equal('pre-restore');
  });

  it('brings back the rows the backup holds, over what the box held since', async () => {
    box.rows = { medications: 9, schema_migrations: 2 };
    const result = await restoreDatabase(deps, request);
    expect(box.rows).to.deep.equal({ medications: 3, schema_migrations: 1 });
    expect(result?.rows).to.deep.equal(box.rows);
  });

  it('restores the latest backup as it was before its own safety backup, never that one', async () => {
    const result = await restoreDatabase(deps, request);
    expect(result?.restored.key).to.equal(backupKeys('dev', '20261121T100200Z').dump);
    expect(result?.before?.key).to.equal(backupKeys('dev', '20261121T100300Z').dump);
  });

  it('asks before anything changes, naming the backup it found; no means nothing runs on the box', async () => {
    deps.confirm = async (q) => (questions.push(q), false);
    expect(await restoreDatabase(deps, request)).to.equal(undefined);
    expect(questions).to.deep.equal(['Replace the data of "dev" with envs/dev/backups/20261121T100200Z.dump (2026-11-21 10:02:00 UTC, commit c0ffee0, nightly)?']);
    expect(box.steps).to.deep.equal([]);
  });

  it('refuses a backup whose SHA-256 in S3 is not its manifest\'s, before touching the box', async () => {
    const dump = world.buckets.get(BUCKET)!.objects.get(backupKeys('dev', '20261121T100200Z').dump)!;
    dump.checksumSha256 = sha256Base64(Buffer.from('another dump'));
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.include('checksum mismatch');
    expect(box.steps).to.deep.equal([]);
  });

  it('refuses when the downloaded dump does not match (the box checks too), with the app never stopped', async () => {
    // The object changed after it was verified in S3: only the box's own check can see it.
    box.failing.download = { exitCode: 65, stdout: '', stderr: 'checksum mismatch: s3://b/k has SHA-256 00, expected ab\n' };
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.match(/^Refusing to restore envs\/dev\/backups\/20261121T100200Z\.dump: checksum mismatch after download/);
    expect(err.hint).to.match(/^Nothing changed/);
    expect(box.steps).to.deep.equal(['backup', 'download', 'cleanup']);
  });

  it('refuses a dump pg_restore cannot read, with the app never stopped', async () => {
    box.failing.render = { exitCode: 1, stdout: '', stderr: 'pg_restore: error: could not read from input file: end of file\n' };
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.include('could not read from input file');
    expect(box.steps).to.not.include('stop');
  });

  it('starts the app again on the data it had when the restore fails, and says it was rolled back', async () => {
    box.failing.apply = { exitCode: 3, stdout: '', stderr: 'ERROR:  role "pillbox_app" does not exist\n' };
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.match(/^The restore failed and was rolled back; the data is as it was\.\nERROR: {2}role "pillbox_app" does not exist$/);
    expect(err.hint).to.equal('Fix the cause shown, then restore again.');
    expect(box.steps).to.deep.equal(['backup', 'download', 'render', 'stop', 'apply', 'start', 'cleanup']);
  });

  it('says so when the app does not come back after a restore', async () => {
    box.failing.start = { exitCode: 1, stdout: '', stderr: 'container pillbox-app-1 is unhealthy\n' };
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.match(/^The data is restored, but the app did not turn healthy again/);
    expect(err.hint).to.include('npm run logs app');
  });

  it('skips the safety backup when asked (a box launched a moment ago)', async () => {
    const result = await restoreDatabase(deps, { ...request, backupFirst: false });
    expect(result?.before).to.equal(undefined);
    expect(box.steps[0]).to.equal('download');
  });

  it('says the box could not download the dump when the copy fails for another reason, with the app never stopped', async () => {
    box.failing.download = { exitCode: 254, stdout: '', stderr: 'An error occurred (AccessDenied) when calling the GetObject operation: Access Denied\n' };
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.equal('The box could not download envs/dev/backups/20261121T100200Z.dump:\nAn error occurred (AccessDenied) when calling the GetObject operation: Access Denied');
    expect(err.hint).to.equal('Nothing changed. Check the instance role reaches the bucket (`npm run provision` rewrites its policy) and try again.');
    expect(box.steps).to.deep.equal(['backup', 'download', 'cleanup']);
  });

  it('names the damaged dump and the way on when pg_restore cannot read it', async () => {
    box.failing.render = { exitCode: 1, stdout: '', stderr: 'pg_restore: error: input file does not appear to be a valid archive\n' };
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.equal('pg_restore could not read envs/dev/backups/20261121T100200Z.dump:\npg_restore: error: input file does not appear to be a valid archive');
    expect(err.hint).to.equal('Nothing changed. The dump is damaged; pick another backup from `npm run backups`.');
  });

  it('stops before the data when the app cannot be stopped, and cleans up', async () => {
    box.failing.stop = { exitCode: 1, stdout: '', stderr: 'Error response from daemon: cannot stop container\n' };
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.equal('Could not stop the app:\nError response from daemon: cannot stop container');
    expect(err.hint).to.equal('Nothing changed. Look with `npm run status`.');
    expect(box.steps).to.deep.equal(['backup', 'download', 'render', 'stop', 'cleanup']);
  });

  it('says both when the restore failed and the app did not come back either', async () => {
    box.failing.apply = { exitCode: 3, stdout: '', stderr: 'ERROR:  out of memory\n' };
    box.failing.start = { exitCode: 1, stdout: '', stderr: 'container pillbox-app-1 is unhealthy\n' };
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.equal('The restore failed and the app did not turn healthy again:\ncontainer pillbox-app-1 is unhealthy');
    expect(err.hint).to.equal('See why with `npm run logs app`; `npm run status` shows the services.');
  });

  it('says the data is restored when only the row count fails', async () => {
    box.failing.count = { exitCode: 2, stdout: '', stderr: 'psql: error: connection refused\n' };
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.equal('The data is restored, but counting rows failed:\npsql: error: connection refused');
    expect(err.hint).to.equal('Look with `npm run session`.');
    expect(box.rows).to.deep.equal({ medications: 3, schema_migrations: 1 });
  });

  it('shows the last 15 lines of a long failure, and says when there was no output at all', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    box.failing.apply = { exitCode: 3, stdout: '', stderr: `${lines.join('\n')}\n` };
    const err = await rejection(restoreDatabase(deps, request));
    expect(err.message).to.equal(`The restore failed and was rolled back; the data is as it was.\n${lines.slice(5).join('\n')}`);
    box.failing.apply = { exitCode: 3, stdout: '', stderr: '' };
    expect((await rejection(restoreDatabase(deps, request))).message).to.equal('The restore failed and was rolled back; the data is as it was.\n(no output)');
  });

  it('gives each step on the box its own time limit: long ones for the dump, the health wait plus a minute for the start', async () => {
    const limits: [string, number | undefined][] = [];
    const run = deps.run;
    deps.run = async (argv, options) => {
      const result = await run(argv, options);
      limits.push([box.steps.at(-1) ?? '', options?.timeoutSeconds]);
      return result;
    };
    await restoreDatabase(deps, { ...request, backupFirst: false, healthTimeoutSeconds: 300 });
    expect(limits).to.deep.equal([
      ['download', 1800],
      ['render', 1800],
      ['stop', 60],
      ['apply', 3600],
      ['start', 360],
      ['count', 60],
      ['cleanup', 60],
    ]);
  });

  it('names every step as the operator sees it, in order', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    await restoreDatabase({ ...deps, progress: new Progress({ stream: out }) }, request);
    const done = text.split('\n').filter((l) => l.startsWith('✓ ')).map((l) => l.replace(/ \(\d+(\.\d+)?s\)$/, ''));
    expect(done).to.deep.equal([
      '✓ Find and verify backup latest',
      '✓ Back up the data the restore replaces',
      '✓ Download envs/dev/backups/20261121T100200Z.dump to the box and check its SHA-256',
      '✓ Read the whole dump (pg_restore)',
      '✓ Stop the app',
      '✓ Restore in one transaction',
      '✓ Start the app and wait until it is healthy',
      '✓ Count the rows',
    ]);
  });
});
