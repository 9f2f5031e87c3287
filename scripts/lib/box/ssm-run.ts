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
  /** Aborted (Ctrl-C, a cancelled CI job): the wait stops and the command is cancelled. */
  signal?: AbortSignal;
}

/** The script ran to its end, whatever its exit code. */
const FINISHED = new Set(['Success', 'Failed']);
/**
 * It never ran, or was stopped, and never will. Not Delayed: SSM failed to deliver it and
 * "will try to send the command again" (monitor-commands.html), so the wait goes on.
 */
const CUT_SHORT = new Set(['Cancelled', 'TimedOut']);

const LOOK_ON_BOX = 'Check the box with `npm run status` (is its SSM agent online?) and `npm run session`, then run the command again.';

/** A command that ended without running to its end: SSM's TimedOut or Cancelled, or 'overdue' when the CLI's own deadline passed. */
export class CommandCutShort extends OperatorError {
  constructor(
    message: string,
    readonly status: string,
  ) {
    super(message, LOOK_ON_BOX);
  }
}

/** For a probe polled again and again: a command that never got an answer is "no answer yet", not a failure. */
export const unanswered = (err: unknown): boolean => err instanceof CommandCutShort && (err.status === 'TimedOut' || err.status === 'overdue');

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

/** How long after CancelCommand the CLI reads the command's status again (it may be Cancelling a while). */
const CANCEL_SETTLE_MS = 10_000;

/**
 * Cancels a command the CLI stopped waiting for, then reads what became of it: SSM gives no
 * guarantee that a cancel stops it (CancelCommand), so the words follow the status it shows.
 * A failure to cancel is named, not thrown.
 */
async function cancel(ssm: SSMClient, commandId: string, instanceId: string, clock: Clock): Promise<string> {
  try {
    await ssm.send(new CancelCommandCommand({ CommandId: commandId, InstanceIds: [instanceId] }));
  } catch (err) {
    return `cancelling it failed (${describeAwsError(err)}): cancel it in the Run Command console before the agent comes back`;
  }
  let status = 'unknown';
  const settled = async () => {
    try {
      const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      status = inv.Status ?? status;
    } catch {
      // Unreadable for now: the words below say what was last seen.
    }
    return FINISHED.has(status) || CUT_SHORT.has(status) ? true : undefined;
  };
  await pollUntil(clock, { deadline: clock.now() + CANCEL_SETTLE_MS, intervalMs: 2000, timeout: () => new Error('unsettled') }, settled).catch(() => undefined);
  if (status === 'Cancelled') return 'it was cancelled, so it will not run later';
  if (status === 'TimedOut') return 'its delivery timed out, so it will not run later';
  if (FINISHED.has(status)) return `it ran to its end after all (${status}): check the box before running it again`;
  return `a cancel was asked, but SSM still shows it ${status} and does not guarantee the cancel: check the Run Command history before the agent comes back`;
}

/**
 * Polls until the invocation ends, bounded by the command's own timeout plus a margin, then
 * cancels it; an interrupt cancels it at once. Right after SendCommand the invocation is
 * often not registered yet (InvocationDoesNotExist). Pending, InProgress and Delayed (SSM
 * retries delivery) are waited through; Cancelled and TimedOut end the wait with SSM's
 * StatusDetails.
 */
export async function waitForCommand(ssm: SSMClient, commandId: string, instanceId: string, options: RunOptions = {}): Promise<CommandResult> {
  const clock = options.clock ?? systemClock;
  const limit = (options.timeoutSeconds ?? 120) + SSM_MARGIN_SECONDS;
  const deadline = clock.now() + limit * 1000;
  const overdue = new Error('overdue');
  let result: CommandResult;
  try {
    result = await pollUntil(clock, { deadline, intervalMs: options.pollMs ?? 2000, timeout: () => overdue, signal: options.signal }, async () => {
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
    if (options.signal?.aborted) {
      await cancel(ssm, commandId, instanceId, clock);
      throw err;
    }
    if (err !== overdue) throw err;
    const cancelled = await cancel(ssm, commandId, instanceId, clock);
    throw new CommandCutShort(`The command ${commandId} on ${instanceId} did not finish within ${limit} s; ${cancelled}.`, 'overdue');
  }
  if (FINISHED.has(result.status)) return result;
  const said = result.stderr.trim().split('\n').at(-1);
  throw new CommandCutShort(`The command ${commandId} on ${instanceId} ended ${result.status} (${result.statusDetails ?? 'no details'})${said ? `: ${said}` : ''}.`, result.status);
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
