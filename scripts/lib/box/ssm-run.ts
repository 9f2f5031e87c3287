// Commands on the box through SSM Run Command (AWS-RunShellScript). Commands are argv
// arrays built by pure functions; shellQuote is the one place they become shell text.
// A command must never run late: SendCommand's TimeoutSeconds bounds its delivery (one the
// agent has not picked up by then never runs), executionTimeout bounds its run, and when the
// CLI stops waiting it cancels the command. References: SSM API SendCommand (TimeoutSeconds,
// 30 s at least, 3600 by default), CancelCommand, GetCommandInvocation (Status, StatusDetails),
// and "Understanding command statuses" (monitor-commands.html) in the Systems Manager guide.
import { CancelCommandCommand, GetCommandInvocationCommand, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { awsErrorName, describeAwsError } from '../core/aws-errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import { OperatorError } from '../core/operator-error.js';
import { pollUntil } from '../core/poll.js';

/** SSM's cap on StandardOutputContent, in characters: a longer output arrives cut. */
export const SSM_STDOUT_LIMIT = 24_000;
/** How much longer than the command's own timeout the CLI waits for SSM to report its end. */
export const SSM_MARGIN_SECONDS = 60;
/** SendCommand's TimeoutSeconds: an online agent picks a command up in seconds; one not delivered by then never runs. */
export const DELIVERY_TIMEOUT_SECONDS = 60;

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
  /** SSM's finer status (e.g. `Success`, `Failed`), as GetCommandInvocation reports it. */
  statusDetails?: string;
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

/** The script ran to its end, whatever its exit code. */
const FINISHED = new Set(['Success', 'Failed']);
/** It never ran, or was stopped: Delayed means the agent cannot be reached, and SSM would deliver it later. */
const CUT_SHORT = new Set(['Cancelled', 'TimedOut', 'Delayed']);

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
    TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
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

/** Cancels a command the CLI stopped waiting for, so it cannot run later; a failure to cancel is named, not thrown. */
async function cancel(ssm: SSMClient, commandId: string, instanceId: string): Promise<string> {
  try {
    await ssm.send(new CancelCommandCommand({ CommandId: commandId, InstanceIds: [instanceId] }));
    return 'it was cancelled, so it will not run later';
  } catch (err) {
    return `cancelling it failed (${describeAwsError(err)}): cancel it in the Run Command console before the agent comes back`;
  }
}

const LOOK_ON_BOX = 'Check the box with `npm run status` (is its SSM agent online?) and `npm run session`, then run the command again.';

/**
 * Polls until the invocation ends, bounded by the command's own timeout plus a margin, then
 * cancels it. Right after SendCommand the invocation is often not registered yet
 * (InvocationDoesNotExist). Cancelled, TimedOut and Delayed end the wait with SSM's
 * StatusDetails; Delayed is cancelled first, since SSM would deliver it later.
 */
export async function waitForCommand(ssm: SSMClient, commandId: string, instanceId: string, options: RunOptions = {}): Promise<CommandResult> {
  const clock = options.clock ?? systemClock;
  const limit = (options.timeoutSeconds ?? 120) + SSM_MARGIN_SECONDS;
  const deadline = clock.now() + limit * 1000;
  const overdue = new Error('overdue');
  let result: CommandResult;
  try {
    result = await pollUntil(clock, { deadline, intervalMs: options.pollMs ?? 2000, timeout: () => overdue }, async () => {
      try {
        const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
        const status = inv.Status ?? 'Pending';
        if (!FINISHED.has(status) && !CUT_SHORT.has(status)) return undefined;
        return { commandId, status, ...(inv.StatusDetails ? { statusDetails: inv.StatusDetails } : {}), exitCode: inv.ResponseCode ?? -1, stdout: inv.StandardOutputContent ?? '', stderr: inv.StandardErrorContent ?? '' };
      } catch (err) {
        if (awsErrorName(err) === 'InvocationDoesNotExist') return undefined;
        throw err;
      }
    });
  } catch (err) {
    if (err !== overdue) throw err;
    const cancelled = await cancel(ssm, commandId, instanceId);
    throw new OperatorError(`The command ${commandId} on ${instanceId} did not finish within ${limit} s; ${cancelled}.`, LOOK_ON_BOX);
  }
  if (FINISHED.has(result.status)) return result;
  const cancelled = result.status === 'Delayed' ? `; ${await cancel(ssm, commandId, instanceId)}` : '';
  const said = result.stderr.trim().split('\n').at(-1);
  throw new OperatorError(`The command ${commandId} on ${instanceId} ended ${result.status} (${result.statusDetails ?? 'no details'})${cancelled}${said ? `: ${said}` : ''}.`, LOOK_ON_BOX);
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
