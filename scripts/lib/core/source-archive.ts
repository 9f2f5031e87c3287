// What ships to the box: `git archive` of one commit, exactly what is committed and nothing
// else, with its SHA-256. No remote is involved, so a private or unpushed commit ships too.
// Uncommitted changes are not refused but named, the way Kamal warns when it builds from a
// clone: the operator sees what stays behind.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { repoRoot, resolveCommit, type GitRunner } from './git.js';

/** Makes the gzipped tar of a commit (git's own gzip, so the same commit gives the same bytes). */
export type ArchiveRunner = (sha: string) => Promise<Buffer>;

/** Through a file: zx collects a command's output as text, which would corrupt the gzip. From the top level: in a subfolder, git archives only that subfolder. */
export const systemArchive =
  (cwd: string = process.cwd()): ArchiveRunner =>
  async (sha) => {
    const dir = await mkdtemp(join(tmpdir(), 'pillbox-archive-'));
    try {
      const file = join(dir, 'source.tar.gz');
      await $({ cwd: await repoRoot(cwd), quiet: true })`git archive --format=tar.gz --output=${file} ${sha}`;
      return await readFile(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

export interface SourceArchive {
  /** The full commit sha. */
  sha: string;
  body: Buffer;
  sha256: string;
  bytes: number;
}

export async function buildSourceArchive(archive: ArchiveRunner, sha: string): Promise<SourceArchive> {
  const body = await archive(sha);
  return { sha, body, sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length };
}

/** Changed tracked files and untracked ones, as paths; they are in the working tree, not in any commit. */
export async function uncommittedChanges(git: GitRunner): Promise<string[]> {
  const changed = await git(['diff', '--name-only', 'HEAD']);
  const untracked = await git(['ls-files', '--others', '--exclude-standard']);
  return [...new Set([...changed.split('\n'), ...untracked.split('\n')].filter((p) => p !== ''))].sort();
}

/**
 * A warning when the commit that ships is the checked-out one and the working tree differs
 * from it; undefined when there is nothing to say (another ref ships, or the tree is clean).
 */
export async function uncommittedWarning(git: GitRunner, sha: string): Promise<string | undefined> {
  if ((await resolveCommit(git, 'HEAD')) !== sha) return undefined;
  const changes = await uncommittedChanges(git);
  if (changes.length === 0) return undefined;
  const shown = changes.slice(0, 5).join(', ') + (changes.length > 5 ? `, and ${changes.length - 5} more` : '');
  return `⚠ ${changes.length} uncommitted change(s) do NOT ship, only commit ${sha.slice(0, 7)} does: ${shown}. Commit them to ship them.`;
}
