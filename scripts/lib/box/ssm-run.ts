// Commands on the box through SSM Run Command (AWS-RunShellScript). Commands are argv
// arrays built by pure functions; shellQuote is the one place they become shell text.
import { GetCommandInvocationCommand, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { awsErrorName } from '../core/aws-errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import { OperatorError } from '../core/operator-error.js';
import { pollUntil } from '../core/poll.js';

/** SSM's cap on StandardOutputContent, in characters: a longer output arrives cut. */
export const SSM_STDOUT_LIMIT = 24_000;
/** How much longer than the command's own timeout the CLI waits for SSM to report its end. */
export const SSM_MARGIN_SECONDS = 60;

export type Argv = readonly string[];

const SAFE = /^[A-Za-z0-9_/.:=@%+,-]+$/;

/** POSIX single-quoting: safe words stay bare, everything else is wrapped and ' escaped. */
export const shellQuote = (arg: string): string => (SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

export const toShellLine = (argv: Argv): string => argv.map(shellQuote).join(' ');

/** The script lines sent: stop at the first failing command. */
export const toScript = (argvs: readonly Argv[]): string[] => ['set -eu', ...argvs.map(toShellLine)];

export interface CommandResult {
  commandId: string;
  status: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Seconds the command may run on the box before SSM stops it. */
  timeoutSeconds?: number;
  pollMs?: number;
  comment?: string;
  clock?: Clock;
}

const DONE = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);

/**
 * Sends the script. SendCommand has a low rate limit; a throttled send did not run, so it is
 * sent again (for a minute) rather than failing the wait it belongs to.
 */
export async function sendShell(ssm: SSMClient, instanceId: string, argvs: readonly Argv[], options: RunOptions = {}): Promise<string> {
  const clock = options.clock ?? systemClock;
  const timeout = options.timeoutSeconds ?? 120;
  const input = {
    DocumentName: 'AWS-RunShellScript',
    InstanceIds: [instanceId],
    Parameters: { commands: toScript(argvs), executionTimeout: [String(timeout)] },
    Comment: (options.comment ?? 'pillbox').slice(0, 100),
  };
  const throttled = () => new OperatorError(`SSM kept throttling SendCommand to ${instanceId} for a minute.`, 'Wait a minute and run the command again.');
  return pollUntil(clock, { deadline: clock.now() + 60_000, intervalMs: 5000, timeout: throttled }, async () => {
    const out = await ssm.send(new SendCommandCommand(input));
    const id = out.Command?.CommandId;
    if (!id) throw new Error('SendCommand returned no CommandId');
    return id;
  });
}

/**
 * Polls until the invocation ends, bounded by the command's own timeout plus a margin.
 * Right after SendCommand the invocation is often not registered yet (InvocationDoesNotExist).
 */
export async function waitForCommand(ssm: SSMClient, commandId: string, instanceId: string, options: RunOptions = {}): Promise<CommandResult> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + ((options.timeoutSeconds ?? 120) + SSM_MARGIN_SECONDS) * 1000;
  const timeout = () =>
    new OperatorError(`The command ${commandId} on ${instanceId} did not finish in time.`, 'Look on the box with `npm run session`, or check the SSM Run Command history in the console.');
  return pollUntil(clock, { deadline, intervalMs: options.pollMs ?? 2000, timeout }, async () => {
    try {
      const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      const status = inv.Status ?? 'Pending';
      if (!DONE.has(status)) return undefined;
      return { commandId, status, exitCode: inv.ResponseCode ?? -1, stdout: inv.StandardOutputContent ?? '', stderr: inv.StandardErrorContent ?? '' };
    } catch (err) {
      if (awsErrorName(err) === 'InvocationDoesNotExist') return undefined;
      throw err;
    }
  });
}

/** For readers of one SSM answer: a stdout that reached the cap was cut, so it must not be parsed as if whole. */
export function wholeStdout(result: CommandResult, what: string): string {
  if (result.stdout.length < SSM_STDOUT_LIMIT) return result.stdout;
  throw new OperatorError(
    `The box's answer to ${what} reached SSM's ${SSM_STDOUT_LIMIT.toLocaleString('en')}-character cap and was cut.`,
    'Report it with --debug: that command must print less, or be read with the paged reader (box/ssm-output.ts).',
  );
}

export async function runOnBox(ssm: SSMClient, instanceId: string, argvs: readonly Argv[], options: RunOptions = {}): Promise<CommandResult> {
  const commandId = await sendShell(ssm, instanceId, argvs, options);
  return waitForCommand(ssm, commandId, instanceId, options);
}
