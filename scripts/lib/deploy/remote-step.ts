// One command of a deploy on the box: it succeeds, or throws with the last lines it printed.
import type { RemoteResult, RemoteRunner } from '../box/ssm-output.js';

export const lastLines = (text: string, n = 20): string => text.trim().split('\n').slice(-n).join('\n');

export class StepFailed extends Error {
  constructor(
    readonly what: string,
    readonly output: string,
  ) {
    super(`${what} failed`);
  }
}

/** Runs a command and throws with its last stderr lines when it fails. */
export async function must(run: RemoteRunner, argv: readonly string[], timeoutSeconds: number, what: string): Promise<RemoteResult> {
  const result = await run(argv, { timeoutSeconds });
  if (result.exitCode !== 0) throw new StepFailed(what, lastLines(result.stderr || result.stdout));
  return result;
}
