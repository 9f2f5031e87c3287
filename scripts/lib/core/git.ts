// Git, behind an injected runner so tests need neither a repository nor a remote.
import { $ } from 'zx';
import { OperatorError } from './operator-error.js';

/** Runs `git <args>` and resolves with its trimmed stdout; rejects when git fails. */
export type GitRunner = (args: string[]) => Promise<string>;

/**
 * The repository's top level. Git commands run there, wherever the operator stands: from a
 * subfolder (app/), `git archive` would ship that subfolder only and `ls-files` list only its files.
 */
export const repoRoot = async (cwd: string = process.cwd()): Promise<string> => (await $({ cwd, quiet: true })`git rev-parse --show-toplevel`).stdout.trim();

/** zx quotes each argument; quiet keeps git's output off the operator's terminal. */
export const systemGit = (cwd: string = process.cwd()): GitRunner => {
  let root: Promise<string> | undefined;
  return async (args) => {
    root ??= repoRoot(cwd);
    return (await $({ cwd: await root, quiet: true })`git ${args}`).stdout.trim();
  };
};

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
