// The programs pillbox runs on the operator's machine: Node (the CLI itself), git (env
// name and source archive), and the AWS CLI v2 with its Session Manager plugin (session,
// kibana). Probed through the same zx probe the session commands use. Only session and kibana
// need the AWS CLI and its plugin, so their absence warns: every other command works without them.
import { AWS_CLI_INSTALL_URL, SESSION_PLUGIN_INSTALL_URL, type Probe } from '../box/session-manager.js';
import { CHECK, fail, guarded, ok, warn, type CheckResult } from './check.js';

const GIT_INSTALL_URL = 'https://git-scm.com/downloads';

const firstLine = (text: string): string => text.trim().split('\n')[0]?.trim() ?? '';

/** `24.22.3` → [24, 22, 3]; a leading `v` and surrounding space are ignored. */
const versionParts = (version: string): number[] =>
  version
    .trim()
    .replace(/^v/, '')
    .split('.')
    .map((n) => Number.parseInt(n, 10) || 0);

function compareVersions(a: string, b: string): number {
  const [x, y] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The one way the docs and the doctor tell to install Node (README "Quick start on AWS" shows it too). */
export const nodeInstallHint = (version: string): string => `Install Node ${version}: \`nvm install ${version}\`, then npm ci.`;

/** The running Node against `.node-version`: another major fails, an older release of the same major warns. */
export function checkNode(running: string, pinned: string | undefined): CheckResult {
  const have = running.replace(/^v/, '');
  if (!pinned?.trim()) return warn(CHECK.node, `${have}; no .node-version to compare with`, 'Restore .node-version from the repository (it pins the Node release).');
  const want = pinned.trim().replace(/^v/, '');
  const install = nodeInstallHint(want);
  if (versionParts(have)[0] !== versionParts(want)[0]) {
    return fail(CHECK.node, `Node ${have} runs this; pillbox needs Node ${versionParts(want)[0]} (.node-version pins ${want})`, install);
  }
  if (compareVersions(have, want) < 0) return warn(CHECK.node, `${have} is older than the pinned ${want}`, install);
  return ok(CHECK.node, `${have} (.node-version ${want})`);
}

export async function checkGit(probe: Probe): Promise<CheckResult> {
  const git = await probe('git', ['--version']);
  if (!git.found) return fail(CHECK.git, '`git` is not on PATH; provision names the environment and packs the source with it', `Install git: ${GIT_INSTALL_URL}`);
  return ok(CHECK.git, firstLine(git.output));
}

/** `aws --version` must say aws-cli/2: session and kibana run `aws ssm start-session`. */
export async function checkAwsCli(probe: Probe): Promise<CheckResult> {
  const cli = await probe('aws', ['--version']);
  const fix = `Install AWS CLI v2: ${AWS_CLI_INSTALL_URL}`;
  if (!cli.found) return warn(CHECK.awsCli, '`aws` is not on PATH; only session and kibana need AWS CLI v2', fix);
  const said = firstLine(cli.output);
  const version = /aws-cli\/(\d+)\.\S*/.exec(said);
  if (version?.[1] === '2') return ok(CHECK.awsCli, version[0]);
  const what = version ? `${version[0]} is on PATH` : `\`aws --version\` printed "${said}"`;
  return warn(CHECK.awsCli, `${what}; only session and kibana need AWS CLI v2`, fix);
}

export async function checkSessionPlugin(probe: Probe): Promise<CheckResult> {
  const plugin = await probe('session-manager-plugin', ['--version']);
  if (!plugin.found) {
    return warn(CHECK.sessionPlugin, '`session-manager-plugin` is not on PATH; only session and kibana need it', `Install it: ${SESSION_PLUGIN_INSTALL_URL}`);
  }
  return ok(CHECK.sessionPlugin, firstLine(plugin.output) || 'installed');
}

export interface LocalTools {
  probe: Probe;
  /** `process.versions.node` of the process running the doctor. */
  nodeVersion: string;
  /** The contents of `.node-version`, if the file exists. */
  pinnedNode: string | undefined;
}

/** The local checks need nothing from AWS, so they always run. */
export function checkLocalTools({ probe, nodeVersion, pinnedNode }: LocalTools): Promise<CheckResult[]> {
  return Promise.all([
    Promise.resolve(checkNode(nodeVersion, pinnedNode)),
    guarded(CHECK.git, () => checkGit(probe)),
    guarded(CHECK.awsCli, () => checkAwsCli(probe)),
    guarded(CHECK.sessionPlugin, () => checkSessionPlugin(probe)),
  ]);
}
