// What deploy does before it touches the box: ship the commit's archive to the project
// bucket, and back the database up when the new commit changes its migrations.
import type { Storage } from '../aws/bucket.js';
import { uploadSource, type ShippedSource } from '../aws/source-object.js';
import { takeBackup } from '../backup/run.js';
import { assertSecretFiles, COMPOSE_FILE_IN_REPO } from '../box/secret-files.js';
import type { RemoteRunner } from '../box/ssm-output.js';
import type { GitRunner } from '../core/git.js';
import type { Progress } from '../core/progress.js';
import { buildSourceArchive, uncommittedWarning, type ArchiveRunner } from '../core/source-archive.js';

/** Where the app's migrations live: a deploy migrates when this folder differs. */
export const MIGRATIONS_DIR = 'app/src/db/migrations/';

export interface ShipDeps {
  git: GitRunner;
  archive: ArchiveRunner;
  storage: Storage;
  progress: Pick<Progress, 'step' | 'note'>;
}

export async function shipCommit({ git, archive, storage, progress }: ShipDeps, env: string, sha: string): Promise<ShippedSource> {
  const warning = await uncommittedWarning(git, sha);
  if (warning) progress.note(warning);
  await assertSecretFiles(git, sha);
  const built = await buildSourceArchive(archive, sha);
  return progress.step(`Upload the source archive of ${sha.slice(0, 7)}`, () => uploadSource(storage, env, built));
}

/** The app's compose file, whose interpolation says which secrets a commit needs. */
/** True when the commit's compose.yaml requires WRITE_PASSWORD (a commit from before the write password does not). */
export async function requiresWritePassword(git: GitRunner, sha: string): Promise<boolean> {
  try {
    return (await git(['show', `${sha}:${COMPOSE_FILE_IN_REPO}`])).includes('${WRITE_PASSWORD:?');
  } catch {
    // No compose file in that commit: nothing to interpolate.
    return false;
  }
}

/**
 * The warning for serving a commit from before the write password (a rollback or deploy to it): its app leaves writes
 * open. Undefined when the commit needs the password, or is not in this clone (nothing to tell).
 */
export async function writesOpenWarning(git: GitRunner, sha: string): Promise<string | undefined> {
  const known = await git(['cat-file', '-e', `${sha}^{commit}`]).then(() => true, () => false);
  if (!known || (await requiresWritePassword(git, sha))) return undefined;
  return `${sha.slice(0, 7)} predates the write password: its app accepts writes from anyone who reaches the site. Deploy a later commit to require it again.`;
}

/** True unless both commits are here and their migrations are the same. */
export async function deployMigrates(git: GitRunner, from: string, to: string): Promise<boolean> {
  try {
    return (await git(['diff', '--name-only', from, to, '--', MIGRATIONS_DIR])) !== '';
  } catch {
    // The box's commit is not in this clone (someone else deployed it): assume it migrates.
    return true;
  }
}

/** deployApp's beforeChange: a backup when the deploy migrates; nothing otherwise. */
export const backupWhenMigrating =
  (git: GitRunner, to: string, run: RemoteRunner, progress: Pick<Progress, 'step' | 'note'>) =>
  async (from: string): Promise<void> => {
    if (!(await deployMigrates(git, from, to))) return;
    const manifest = await progress.step('Back up the database (the new version changes migrations)', () => takeBackup(run, 'pre-deploy'));
    progress.note(`Backed up to ${manifest.key}.`);
  };
