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

/** Resolves a ref (default HEAD) to the full commit sha, or explains what is wrong. */
export async function resolveCommit(git: GitRunner, ref: string): Promise<string> {
  try {
    return await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new OperatorError(`The git ref "${ref}" does not name a commit here.`, 'Pass --ref with a branch, tag or commit sha that exists locally (git fetch first).');
  }
}
