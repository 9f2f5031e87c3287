// Git, behind an injected runner so tests need neither a repository nor a remote.
import { $ } from 'zx';
import { OperatorError } from './operator-error.js';

/** Runs `git <args>` and resolves with its trimmed stdout; rejects when git fails. */
export type GitRunner = (args: string[]) => Promise<string>;

/** zx quotes each argument; quiet keeps git's output off the operator's terminal. */
export const systemGit =
  (cwd: string = process.cwd()): GitRunner =>
  async (args) =>
    (await $({ cwd, quiet: true })`git ${args}`).stdout.trim();

export async function currentBranch(git: GitRunner): Promise<string | undefined> {
  try {
    const branch = await git(['rev-parse', '--abbrev-ref', 'HEAD']);
    return branch === 'HEAD' ? undefined : branch;
  } catch {
    return undefined;
  }
}

/** `git@github.com:o/r.git` and `ssh://git@host/o/r` → https, since the box clones without keys. */
export function toHttpsUrl(url: string): string {
  const scp = /^[\w.-]+@([\w.-]+):(.+)$/.exec(url);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  const ssh = /^ssh:\/\/(?:[\w.-]+@)?([\w.-]+)(?::\d+)?\/(.+)$/.exec(url);
  if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
  return url;
}

export async function originUrl(git: GitRunner): Promise<string | undefined> {
  try {
    return toHttpsUrl(await git(['remote', 'get-url', 'origin']));
  } catch {
    return undefined;
  }
}

/** Resolves a ref (default HEAD) to the full commit sha, or explains what is wrong. */
export async function resolveCommit(git: GitRunner, ref: string): Promise<string> {
  try {
    return await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new OperatorError(`The git ref "${ref}" does not name a commit here.`, 'Pass --ref with a branch, tag or commit sha that exists locally (git fetch first).');
  }
}

/**
 * The box clones the commit from the remote, so it must be there: either a remote
 * branch or tag points at it (ls-remote), or a fetched remote branch contains it.
 */
export async function assertCommitOnRemote(git: GitRunner, repoUrl: string, sha: string): Promise<void> {
  let advertised: string;
  try {
    advertised = await git(['ls-remote', repoUrl]);
  } catch {
    throw new OperatorError(
      `Cannot read the repository ${repoUrl}.`,
      'The box clones it over HTTPS without credentials: make it reachable, or pass --repo-url with a public HTTPS URL.',
    );
  }
  if (advertised.split('\n').some((line) => line.startsWith(sha))) return;
  let containing = '';
  try {
    containing = await git(['branch', '-r', '--contains', sha]);
  } catch {
    containing = '';
  }
  if (containing.trim() !== '') return;
  throw new OperatorError(`The commit ${sha.slice(0, 7)} is not on ${repoUrl}.`, 'git push, or pass --ref with a pushed commit.');
}
