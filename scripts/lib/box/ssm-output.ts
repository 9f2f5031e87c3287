// Reads a remote command's whole output through SSM Run Command, whatever its size.
//
// GetCommandInvocation returns only the first 24,000 characters of stdout, and a
// character cut can land inside a multi-byte one. So the box writes the output to a
// file, gzips it, and hands it back in pages of base64: pure ASCII (characters ==
// bytes, nothing to cut), each page far below the limit, checked by size and SHA-256
// before it is decoded as UTF-8 here, in one piece.

import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { OperatorError } from '../core/operator-error.js';
import { runOnBox, type RunOptions } from './ssm-run.js';

/** Runs one argv on the box (quoted in one place by the runner) and returns what it wrote. */
export type RemoteRunner = (argv: readonly string[], options?: { timeoutSeconds?: number }) => Promise<RemoteResult>;

export interface RemoteResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A RemoteRunner over SSM Run Command for one instance. */
export const ssmRunner =
  (ssm: SSMClient, instanceId: string, base: RunOptions = {}): RemoteRunner =>
  (argv, options = {}) =>
    runOnBox(ssm, instanceId, [argv], { ...base, ...(options.timeoutSeconds ? { timeoutSeconds: options.timeoutSeconds } : {}) });

/** Raw bytes per page: base64 makes 4 characters of every 3 bytes, 16,000 characters a page. */
export const PAGE_BYTES = 12_000;

// Runs "$@" with stdout into a private file; stderr stays the invocation's stderr.
// Prints "<exit code> <gzip size> <sha256>", then the whole gzip as base64 when it
// fits in one page (one round trip for small outputs; the file is removed then).
const CAPTURE_SCRIPT = [
  'umask 077',
  'f=$1; page=$2; shift 2',
  '"$@" > "$f.out"; rc=$?',
  'gzip -c "$f.out" > "$f" || exit 70',
  'rm -f "$f.out"',
  'size=$(wc -c < "$f")',
  'printf "%s %s %s\\n" "$rc" "$size" "$(sha256sum "$f" | cut -d " " -f 1)"',
  'if [ "$size" -le "$page" ]; then base64 -w 0 "$f"; rm -f "$f"; fi',
].join('\n');

// Prints page $3 (of $2 bytes) of file $1 as one line of base64.
const PAGE_SCRIPT = 'dd if="$1" bs="$2" skip="$3" count=1 status=none | base64 -w 0';

export const captureCommand = (file: string, command: readonly string[]): string[] => ['sh', '-c', CAPTURE_SCRIPT, 'sh', file, String(PAGE_BYTES), ...command];
export const pageCommand = (file: string, page: number): string[] => ['sh', '-c', PAGE_SCRIPT, 'sh', file, String(PAGE_BYTES), String(page)];
export const removeCommand = (file: string): string[] => ['rm', '-f', '--', file];

/** A private path on the box's tmpfs; the id (and, for local runs, the directory) come from the caller so tests can pin them. */
export function outputFile(id: string, dir = '/tmp'): string {
  if (!/^[a-f0-9]{8,64}$/.test(id)) throw new Error(`output id must be lowercase hex, got ${JSON.stringify(id)}`);
  return `${dir}/pillbox-output-${id}.gz`;
}

export interface FullOutput {
  /** The remote command's own exit code. */
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface FetchOptions {
  /** Hex id naming the file on the box. */
  id: string;
  /** Where the file goes; the box's /tmp unless a test runs the scripts locally in its own directory. */
  dir?: string;
  timeoutSeconds?: number;
}

/** Runs `command` on the box and returns its complete stdout, paging past SSM's 24,000-character cap. */
export async function runWithFullOutput(run: RemoteRunner, command: readonly string[], { id, dir, timeoutSeconds }: FetchOptions): Promise<FullOutput> {
  const file = outputFile(id, dir);
  const capture = await run(captureCommand(file, command), { timeoutSeconds });
  if (capture.exitCode !== 0) {
    throw new OperatorError(
      `Could not capture the command's output on the box (exit ${capture.exitCode}): ${firstLine(capture.stderr)}`,
      'Check the box has free space in /tmp (`npm run session`, then `df -h /tmp`).',
    );
  }
  const [header = '', inline] = capture.stdout.split('\n');
  const { exitCode, size, sha256 } = parseHeader(header);
  let gz: Buffer;
  if (size <= PAGE_BYTES) {
    gz = Buffer.from(inline ?? '', 'base64');
  } else {
    try {
      const pages: Buffer[] = [];
      for (let page = 0; page * PAGE_BYTES < size; page += 1) {
        const result = await run(pageCommand(file, page));
        if (result.exitCode !== 0) {
          throw new OperatorError(`Reading page ${page + 1} of the output on the box failed: ${firstLine(result.stderr)}`, 'Run the command again.');
        }
        pages.push(Buffer.from(result.stdout.trim(), 'base64'));
      }
      gz = Buffer.concat(pages);
    } finally {
      await run(removeCommand(file));
    }
  }
  const digest = createHash('sha256').update(gz).digest('hex');
  if (gz.length !== size || digest !== sha256) {
    throw new OperatorError(
      `The output read back from the box is damaged (${gz.length} of ${size} bytes, checksum ${digest === sha256 ? 'ok' : 'mismatch'}).`,
      'Run the command again; if it repeats, report it with --debug.',
    );
  }
  return { exitCode, stdout: gunzipSync(gz).toString('utf8'), stderr: capture.stderr };
}

function parseHeader(header: string): { exitCode: number; size: number; sha256: string } {
  const match = /^(\d+) (\d+) ([a-f0-9]{64})$/.exec(header.trim());
  if (!match) throw new OperatorError(`Unexpected answer from the box: ${JSON.stringify(header.slice(0, 120))}`, 'Run the command again with --debug and report it.');
  return { exitCode: Number(match[1]), size: Number(match[2]), sha256: match[3]! };
}

const firstLine = (text: string): string => text.trim().split('\n')[0] || '(no message)';
