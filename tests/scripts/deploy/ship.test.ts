import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { storageFor } from '../../../scripts/lib/aws/bucket.js';
import type { GitRunner } from '../../../scripts/lib/core/git.js';
import { readText } from '../../compose/compose-files.js';
import { Progress } from '../../../scripts/lib/core/progress.js';
import { readFileSync } from 'node:fs';
import { backupWhenMigrating, deployMigrates, MIGRATIONS_DIR, requiresWritePassword, shipCommit, writesOpenWarning } from '../../../scripts/lib/deploy/ship.js';
import { aWorld, fakeAws } from '../fakes/fake-aws.js';
import { boxData, dataRunner } from '../fakes/fake-data-box.js';
import { aBucket } from '../fakes/fake-s3.js';
import { anArchive } from '../provision/fixtures.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const OLD = '1'.repeat(40);
const NEW = '2'.repeat(40);
const BUCKET = 'pillbox-123456789012-eu-west-1';

const gitDiffing =
  (answer: string | Error): GitRunner =>
  async (args) => {
    if (args.join(' ') === `diff --name-only ${OLD} ${NEW} -- ${MIGRATIONS_DIR}`) {
      if (answer instanceof Error) throw answer;
      return answer;
    }
    if (args[0] === 'rev-parse') return NEW;
    if (args.join(' ') === `show ${NEW}:compose/compose.yaml`) return readText('compose/compose.yaml');
    if (args[0] === 'diff' || args[0] === 'ls-files') return '';
    throw new Error(`unexpected git ${args.join(' ')}`);
  };

describe('deploy, before the box', () => {
  it('looks for migrations where the app keeps them', () => {
    expect(existsSync(`${root}${MIGRATIONS_DIR}`)).to.equal(true);
    expect(readdirSync(`${root}${MIGRATIONS_DIR}`).some((f) => /^\d{4}-.+\.ts$/.test(f))).to.equal(true);
  });

  it('migrates when the migrations differ, or when the serving commit is unknown here', async () => {
    expect(await deployMigrates(gitDiffing('app/src/db/migrations/0002-add-dose.ts'), OLD, NEW)).to.equal(true);
    expect(await deployMigrates(gitDiffing(''), OLD, NEW)).to.equal(false);
    expect(await deployMigrates(gitDiffing(new Error('fatal: bad object 1111111')), OLD, NEW)).to.equal(true);
  });

  it('backs up the database only before a deploy that migrates', async () => {
    const world = aWorld();
    aBucket(world, BUCKET);
    const box = boxData();
    const run = dataRunner(world, 'dev', box);
    const progress = new Progress({ stream: new PassThrough() });
    await backupWhenMigrating(gitDiffing(''), NEW, run, progress)(OLD);
    expect(box.steps).to.deep.equal([]);
    await backupWhenMigrating(gitDiffing('app/src/db/migrations/0002-add-dose.ts'), NEW, run, progress)(OLD);
    expect(box.steps).to.deep.equal(['backup']);
    expect([...world.buckets.get(BUCKET)!.objects.keys()].some((k) => k.startsWith('envs/dev/backups/'))).to.equal(true);
  });

  it('uploads the commit archive to the source prefix with its SHA-256', async () => {
    const world = aWorld();
    aBucket(world, BUCKET);
    const fake = fakeAws(world);
    const storage = storageFor(fake.s3, world.accountId, world.region);
    const shipped = await shipCommit({ git: gitDiffing(''), archive: anArchive, storage, progress: new Progress({ stream: new PassThrough() }) }, 'dev', NEW).finally(fake.restore);
    expect(shipped.key).to.equal(`envs/dev/source/${NEW}.tar.gz`);
    const stored = world.buckets.get(BUCKET)!.objects.get(shipped.key)!;
    expect(stored.body.toString()).to.equal(`tar.gz of ${NEW}\n`);
    expect(stored.metadata.sha256).to.equal(shipped.sha256);
    expect(stored.tagging).to.equal('pillbox-kind=source');
  });
});

describe('deploy, the write password a commit needs', () => {
  const current = readFileSync(`${root}compose/compose.yaml`, 'utf8');
  const before = current.replace(/^ *WRITE_PASSWORDS:.*\n/m, '');
  /** A clone holding OLD (compose from before the write password) and NEW (this compose.yaml); nothing else. */
  const git: GitRunner = async (args) => {
    const line = args.join(' ');
    if (line === `cat-file -e ${OLD}^{commit}` || line === `cat-file -e ${NEW}^{commit}`) return '';
    if (line === `show ${NEW}:compose/compose.yaml`) return current;
    if (line === `show ${OLD}:compose/compose.yaml`) return before;
    throw new Error(`fatal: bad object (${line})`);
  };

  it('reads it from the commit\'s compose.yaml, whose interpolation requires WRITE_PASSWORD', async () => {
    expect(current).to.include('${WRITE_PASSWORD:?');
    expect(await requiresWritePassword(git, NEW)).to.equal(true);
    expect(await requiresWritePassword(git, OLD)).to.equal(false);
  });

  it('warns that serving a commit from before it opens writes, and says nothing of commits it cannot see', async () => {
    expect(await writesOpenWarning(git, OLD)).to.equal('1111111 predates the write password: its app accepts writes from anyone who reaches the site. Deploy a later commit to require it again.');
    expect(await writesOpenWarning(git, NEW)).to.equal(undefined);
    expect(await writesOpenWarning(git, '3'.repeat(40))).to.equal(undefined);
  });
});
