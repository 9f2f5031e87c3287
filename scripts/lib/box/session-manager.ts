// Interactive SSM sessions go through the operator's AWS CLI v2 and its
// session-manager-plugin: the SDK can open a session, but only the plugin speaks
// the data channel behind it.

import { $, which } from 'zx';
import { OperatorError } from '../core/operator-error.js';

export const AWS_CLI_INSTALL_URL = 'https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html';
export const SESSION_PLUGIN_INSTALL_URL = 'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';

/** Runs a local program to see whether it is there; `found: false` only when it does not exist. */
export type Probe = (command: string, args: string[]) => Promise<{ found: boolean; output: string }>;

/** Runs a local program on the operator's terminal and resolves with how it ended. */
export type Spawner = (command: string, args: string[]) => Promise<ChildEnd>;

export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Fails with one line naming exactly what to install when the AWS CLI v2 or the plugin is missing. */
export async function assertSessionTools(probe: Probe): Promise<void> {
  const cli = await probe('aws', ['--version']);
  if (!cli.found) {
    throw new OperatorError('The AWS CLI is not installed (`aws` is not on PATH).', `Install AWS CLI v2: ${AWS_CLI_INSTALL_URL}`);
  }
  const version = /aws-cli\/(\d+)\./.exec(cli.output);
  if (version && Number(version[1]) < 2) {
    throw new OperatorError(`The AWS CLI on PATH is version ${version[1]} (${cli.output.trim().split(' ')[0]}); sessions need v2.`, `Install AWS CLI v2: ${AWS_CLI_INSTALL_URL}`);
  }
  const plugin = await probe('session-manager-plugin', ['--version']);
  if (!plugin.found) {
    throw new OperatorError(
      'The Session Manager plugin for the AWS CLI is not installed (`session-manager-plugin` is not on PATH).',
      `Install it: ${SESSION_PLUGIN_INSTALL_URL}`,
    );
  }
}

export interface SessionTarget {
  instanceId: string;
  region: string;
}

/** `aws ssm start-session` for a shell on the box. */
export const shellSessionArgs = ({ instanceId, region }: SessionTarget): string[] => ['ssm', 'start-session', '--target', instanceId, '--region', region];

/** `aws ssm start-session` forwarding a local port to a port on the box's loopback. */
export const portForwardArgs = (target: SessionTarget, remotePort: number, localPort: number): string[] => [
  ...shellSessionArgs(target),
  '--document-name',
  'AWS-StartPortForwardingSession',
  '--parameters',
  JSON.stringify({ portNumber: [String(remotePort)], localPortNumber: [String(localPort)] }),
];

/** The session ended as the operator meant it to: a clean exit, or Ctrl-C. */
export const endedNormally = (end: ChildEnd): boolean => end.code === 0 || end.code === 130 || end.signal === 'SIGINT';

/** Explains a session that ended badly; the AWS CLI has already printed AWS's own message above. */
export function sessionFailure(end: ChildEnd, instanceId: string): OperatorError {
  const how = end.signal ? `signal ${end.signal}` : `exit ${end.code}`;
  return new OperatorError(
    `The SSM session to ${instanceId} ended with ${how}.`,
    'If AWS said TargetNotConnected, the SSM agent is not online yet (or the box is stopping): check `npm run status`, wait a minute after provision, and retry.',
  );
}

/** zx quotes each argument; `which` first, so "not installed" never depends on a shell's exit code. */
export const systemProbe: Probe = async (command, args) => {
  if (!(await which(command, { nothrow: true }))) return { found: false, output: `${command}: not found on PATH` };
  const out = await $({ quiet: true, nothrow: true })`${command} ${args}`;
  return { found: true, output: out.stdall };
};

/**
 * Runs the child on this terminal. Ctrl-C reaches the whole foreground process group;
 * the child (the remote shell, or the port forward) decides what it means, and this
 * process ignores it until the child has ended.
 */
export const terminalSpawner: Spawner = async (command, args) => {
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  try {
    const end = await $({ stdio: 'inherit', nothrow: true })`${command} ${args}`;
    return { code: end.exitCode, signal: end.signal };
  } finally {
    process.off('SIGINT', ignore);
  }
};

export interface SessionDeps {
  probe: Probe;
  spawn: Spawner;
  print: (text: string) => void;
}

/** `npm run session`: a shell on the box until the operator types exit. */
export async function openShell({ probe, spawn, print }: SessionDeps, target: SessionTarget): Promise<void> {
  await assertSessionTools(probe);
  print(`Opening a shell on ${target.instanceId} through SSM Session Manager (exit to leave; Ctrl-C goes to the remote shell).\n`);
  const end = await spawn('aws', shellSessionArgs(target));
  if (!endedNormally(end)) throw sessionFailure(end, target.instanceId);
}
