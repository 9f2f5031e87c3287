// A box behind aws-sdk-client-mock: SendCommand records the shell line, GetCommandInvocation
// answers it the way SSM does (InvocationDoesNotExist on the first poll, InProgress on the
// next, then the result, cut at SSM's output caps). Paged output (capture / dd page / rm)
// is served from memory the way the real scripts would; every other line goes to the
// test's handler.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  SendCommandCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type SSMClientResolvedConfig,
} from '@aws-sdk/client-ssm';
import { EC2Client, type ServiceInputTypes as Ec2Input, type ServiceOutputTypes as Ec2Output, type EC2ClientResolvedConfig } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { PAGE_BYTES } from '../../../scripts/lib/box/ssm-output.js';
import { SSM_STDOUT_LIMIT } from '../../../scripts/lib/box/ssm-run.js';

export interface Reply {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

/** Answers a plain command line; for a captured command, `line` is the command after the file and page size. */
export type Handler = (line: string, instanceId: string) => Reply;

/** Mocks are made in beforeEach and restored after each test, so no stub outlives its test file. */
export type SsmMock = AwsStub<ServiceInputTypes, ServiceOutputTypes, SSMClientResolvedConfig>;
export type Ec2Mock = AwsStub<Ec2Input, Ec2Output, EC2ClientResolvedConfig>;

/** Fresh EC2 and SSM mocks for each test of the calling suite, restored after it. */
export function useBoxMocks(): { ec2: Ec2Mock; ssm: SsmMock } {
  const mocks = {} as { ec2: Ec2Mock; ssm: SsmMock };
  beforeEach(() => {
    mocks.ec2 = mockClient(EC2Client);
    mocks.ssm = mockClient(SSMClient);
  });
  afterEach(() => {
    mocks.ec2.restore();
    mocks.ssm.restore();
  });
  return mocks;
}

/** What SSM reports for one invocation on its n-th GetCommandInvocation (0-based). */
export function invocationAnswer(reply: Reply, poll: number) {
  if (poll === 0) throw new InvocationDoesNotExist({ message: 'Invocation does not exist', $metadata: {} });
  if (poll === 1) return { Status: 'InProgress', ResponseCode: -1, StandardOutputContent: '', StandardErrorContent: '' };
  const exitCode = reply.exitCode ?? 0;
  return {
    Status: exitCode === 0 ? 'Success' : 'Failed',
    ResponseCode: exitCode,
    StandardOutputContent: (reply.stdout ?? '').slice(0, SSM_STDOUT_LIMIT),
    StandardErrorContent: (reply.stderr ?? '').slice(0, 8000),
  };
}

/**
 * Answers the lines of a script: the capture, page and remove commands of the paged reader
 * from the files it keeps, anything else from `handler`.
 */
export function boxReplies(handler: Handler): (line: string, instanceId: string) => Reply {
  const files = new Map<string, Buffer>();
  return (line, instanceId) => {
    const capture = /^sh -c '.*?' sh (\/tmp\/pillbox-output-[a-f0-9]+\.gz) (\d+) (.*)$/s.exec(line);
    if (capture && line.includes('gzip -c')) {
      const [, file = '', , command = ''] = capture;
      const inner = handler(command, instanceId);
      const gz = gzipSync(Buffer.from(inner.stdout ?? ''));
      const header = `${inner.exitCode ?? 0} ${gz.length} ${createHash('sha256').update(gz).digest('hex')}\n`;
      if (gz.length <= PAGE_BYTES) return { stdout: header + gz.toString('base64'), stderr: inner.stderr };
      files.set(file, gz);
      return { stdout: header, stderr: inner.stderr };
    }
    const page = /^sh -c 'dd .*' sh (\S+) (\d+) (\d+)$/.exec(line);
    if (page) {
      const gz = files.get(page[1] ?? '') ?? Buffer.alloc(0);
      const size = Number(page[2]);
      const n = Number(page[3]);
      return { stdout: gz.subarray(n * size, (n + 1) * size).toString('base64') };
    }
    const rm = /^rm -f -- (\S+)$/.exec(line);
    if (rm) {
      files.delete(rm[1] ?? '');
      return {};
    }
    return handler(line, instanceId);
  };
}

export function fakeBox(ssm: SsmMock, handler: Handler): { lines: () => string[] } {
  const answer = boxReplies(handler);
  const replies: Reply[] = [];
  const polls: number[] = [];
  const lines: string[] = [];
  ssm.on(SendCommandCommand).callsFake((input: { InstanceIds?: string[]; Parameters?: Record<string, string[]> }) => {
    const [setEu, line = '', ...rest] = input.Parameters?.commands ?? [];
    if (setEu !== 'set -eu' || rest.length > 0) throw new Error(`unexpected script: ${JSON.stringify(input.Parameters)}`);
    lines.push(line);
    replies.push(answer(line, input.InstanceIds?.[0] ?? ''));
    polls.push(0);
    return { Command: { CommandId: `cmd-${replies.length - 1}` } };
  });
  ssm.on(GetCommandInvocationCommand).callsFake((input: { CommandId?: string }) => {
    const n = Number(input.CommandId?.slice(4));
    const poll = polls[n] ?? 0;
    polls[n] = poll + 1;
    return invocationAnswer(replies[n] ?? {}, poll);
  });

  return { lines: () => [...lines] };
}
