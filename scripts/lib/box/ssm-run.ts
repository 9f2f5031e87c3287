// Commands on the box through SSM Run Command (AWS-RunShellScript). Commands are argv
// arrays built by pure functions; shellQuote is the one place they become shell text.
import { GetCommandInvocationCommand, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { defaultSleep } from '../core/clock.js';
import { awsErrorName, OperatorError } from '../core/operator-error.js';

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
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const DONE = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);

export async function sendShell(ssm: SSMClient, instanceId: string, argvs: readonly Argv[], options: RunOptions = {}): Promise<string> {
  const timeout = options.timeoutSeconds ?? 120;
  const out = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [instanceId],
      Parameters: { commands: toScript(argvs), executionTimeout: [String(timeout)] },
      Comment: (options.comment ?? 'pillbox').slice(0, 100),
    }),
  );
  const id = out.Command?.CommandId;
  if (!id) throw new Error('SendCommand returned no CommandId');
  return id;
}

/** Polls until the invocation ends; bounded by the command's own timeout plus a margin. */
export async function waitForCommand(ssm: SSMClient, commandId: string, instanceId: string, options: RunOptions = {}): Promise<CommandResult> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 2000;
  const deadline = now() + ((options.timeoutSeconds ?? 120) + 60) * 1000;
  for (;;) {
    try {
      const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      const status = inv.Status ?? 'Pending';
      if (DONE.has(status)) {
        return {
          commandId,
          status,
          exitCode: inv.ResponseCode ?? -1,
          stdout: inv.StandardOutputContent ?? '',
          stderr: inv.StandardErrorContent ?? '',
        };
      }
    } catch (err) {
      // Right after SendCommand the invocation may not be registered yet.
      if (awsErrorName(err) !== 'InvocationDoesNotExist') throw err;
    }
    if (now() >= deadline) {
      throw new OperatorError(`The command ${commandId} on ${instanceId} did not finish in time.`, 'Look on the box with `npm run session`, or check the SSM Run Command history in the console.');
    }
    await sleep(pollMs);
  }
}

export async function runOnBox(ssm: SSMClient, instanceId: string, argvs: readonly Argv[], options: RunOptions = {}): Promise<CommandResult> {
  const commandId = await sendShell(ssm, instanceId, argvs, options);
  return waitForCommand(ssm, commandId, instanceId, options);
}
