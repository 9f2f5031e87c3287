// `npm run exec`: one compose command on the box through SSM Run Command, its whole output
// read back by the paged reader, and its exit code carried home.
import { runWithFullOutput, type FullOutput, type RemoteRunner } from '../box/ssm-output.js';
import { toShellLine } from '../box/ssm-run.js';
import { execCommand } from './plan.js';

export interface ExecOptions {
  /** Hex id naming the output file on the box. */
  id: string;
  timeoutSeconds: number;
}

export const runComposeCommand = (run: RemoteRunner, words: readonly string[], { id, timeoutSeconds }: ExecOptions): Promise<FullOutput> =>
  runWithFullOutput(run, execCommand(words), { id, timeoutSeconds });

/** The one line that ends a failed remote command (its own output is printed above it). */
export const remoteExitLine = (words: readonly string[], exitCode: number): string => `✖ \`docker compose ${toShellLine(words)}\` exited with ${exitCode} on the box.\n`;
