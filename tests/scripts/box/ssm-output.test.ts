import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { fakeClock } from '../fakes/fake-clock.js';
import { PAGE_BYTES, runWithFullOutput, ssmRunner, type RemoteRunner } from '../../../scripts/lib/box/ssm-output.js';
import { SSM_STDOUT_LIMIT } from '../../../scripts/lib/box/ssm-run.js';
import { toScript } from '../../../scripts/lib/box/ssm-run.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import type { SsmMock } from '../fakes/fake-box.js';

/** Text that gzip cannot shrink much, with 2-, 3- and 4-byte UTF-8 characters all through it. */
function awkwardText(chars: number): string {
  const alphabet = ['a', 'Z', '9', ' ', 'é', 'ü', '日', '本', '💊', '🩺', '\n', '"', "'", '$', '\\'];
  const bytes = randomBytes(chars);
  let text = '';
  for (const b of bytes) text += alphabet[b % alphabet.length];
  return text;
}

/**
 * Runs the script exactly as AWS-RunShellScript would (the quoted lines, under sh),
 * then cuts stdout to SSM's 24,000 characters as GetCommandInvocation does.
 */
const localSsm =
  (calls: string[][]): RemoteRunner =>
  (argv) =>
    new Promise((resolve) => {
      calls.push([...argv]);
      execFile('sh', ['-c', toScript([argv]).join('\n')], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        const code = err ? Number((err as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0;
        resolve({ exitCode: Number.isInteger(code) ? code : 1, stdout: stdout.slice(0, SSM_STDOUT_LIMIT), stderr: stderr.slice(0, 8000) });
      });
    });

describe('ssm output paging', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pillbox-paging-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns 200,000 characters of multi-byte output intact through pages below the 24,000-character cap', async () => {
    const text = awkwardText(200_000);
    const fixture = join(dir, 'logs.txt');
    writeFileSync(fixture, text);
    const calls: string[][] = [];
    const id = 'c0ffee01';
    const result = await runWithFullOutput(localSsm(calls), ['cat', fixture], { id, dir });
    expect(result.stdout.length).to.equal(text.length);
    expect(result.stdout === text, 'output differs from the original').to.equal(true);
    expect(result.exitCode).to.equal(0);
    const pages = calls.filter((argv) => argv[2]?.startsWith('dd '));
    expect(pages.length).to.be.greaterThan(3);
    expect(calls.at(-1)).to.deep.equal(['rm', '-f', '--', `${dir}/pillbox-output-${id}.gz`]);
    expect(readdirSync(dir).filter((f) => f.startsWith('pillbox-output-'))).to.deep.equal([]);
  });

  it('answers a small output in one round trip and leaves no file behind', async () => {
    const calls: string[][] = [];
    const result = await runWithFullOutput(localSsm(calls), ['printf', '%s\\n', 'café 💊', "it's"], { id: 'c0ffee02', dir });
    expect(result.stdout).to.equal("café 💊\nit's\n");
    expect(calls).to.have.length(1);
    expect(readdirSync(dir).filter((f) => f.startsWith('pillbox-output-'))).to.deep.equal([]);
  });

  it("reports the remote command's own exit code and stderr, with whatever it printed", async () => {
    const result = await runWithFullOutput(localSsm([]), ['sh', '-c', 'echo partial; echo "no such service: web" >&2; exit 3'], { id: 'c0ffee03', dir });
    expect(result).to.deep.include({ exitCode: 3, stdout: 'partial\n', stderr: 'no such service: web\n' });
  });

  it('passes arguments with quotes, spaces and $ to the remote command unchanged', async () => {
    const tricky = ["a'b", 'two words', `$(touch ${dir}/pwned)`, '`id`', '--x'];
    const result = await runWithFullOutput(localSsm([]), ['printf', '<%s>', ...tricky], { id: 'c0ffee04', dir });
    expect(result.stdout).to.equal(tricky.map((t) => `<${t}>`).join(''));
    expect(readdirSync(dir)).not.to.include('pwned');
  });

  describe('over SSM', () => {
    let ssm: SsmMock;
    beforeEach(() => (ssm = mockClient(SSMClient)));
    afterEach(() => ssm.restore());

    /** Mocks SendCommand/GetCommandInvocation answering each command with the next stdout. */
    function answer(stdouts: string[]): void {
      let n = 0;
      ssm.on(SendCommandCommand).callsFake(() => ({ Command: { CommandId: `cmd-${n++}` } }));
      ssm.on(GetCommandInvocationCommand).callsFake((input: { CommandId: string }) => {
        const i = Number(input.CommandId.slice(4));
        return { Status: 'Success', ResponseCode: 0, StandardOutputContent: stdouts[i] ?? '', StandardErrorContent: '' };
      });
    }

    it('sends the capture, one read per page and the clean-up, each as exact shell text', async () => {
      const text = awkwardText(40_000);
      const gz = gzipSync(Buffer.from(text));
      const sha = createHash('sha256').update(gz).digest('hex');
      const pages: string[] = [];
      for (let off = 0; off < gz.length; off += PAGE_BYTES) pages.push(gz.subarray(off, off + PAGE_BYTES).toString('base64'));
      answer([`0 ${gz.length} ${sha}\n`, ...pages, '']);
      const run = ssmRunner(ssm as unknown as SSMClient, 'i-0abc', { clock: fakeClock(), pollMs: 0 });
      const result = await runWithFullOutput(run, ['docker', 'compose', 'logs', 'it’s'], { id: 'ab12cd34' });
      expect(result.stdout).to.equal(text);
      const sent = ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
      expect(sent[0]).to.deep.include({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-0abc'] });
      const commands = sent.map((input) => input.Parameters?.commands);
      expect(commands[0]?.[1]).to.match(/^sh -c '.*' sh \/tmp\/pillbox-output-ab12cd34\.gz 12000 docker compose logs 'it’s'$/s);
      expect(commands[1]).to.deep.equal(['set -eu', `sh -c 'dd if="$1" bs="$2" skip="$3" count=1 status=none | base64 -w 0' sh /tmp/pillbox-output-ab12cd34.gz 12000 0`]);
      expect(commands.at(-1)).to.deep.equal(['set -eu', 'rm -f -- /tmp/pillbox-output-ab12cd34.gz']);
      expect(commands).to.have.length(pages.length + 2);
    });

    it('detects a page that came back short instead of returning damaged text', async () => {
      const gz = gzipSync(Buffer.from(awkwardText(40_000)));
      const sha = createHash('sha256').update(gz).digest('hex');
      const first = gz.subarray(0, PAGE_BYTES).toString('base64');
      const rest = gz.subarray(PAGE_BYTES).toString('base64');
      answer([`0 ${gz.length} ${sha}\n`, first.slice(0, 20_000), rest, rest, rest, '']);
      const run = ssmRunner(ssm as unknown as SSMClient, 'i-0abc', { clock: fakeClock(), pollMs: 0 });
      let caught: unknown;
      try {
        await runWithFullOutput(run, ['true'], { id: 'ab12cd35' });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(OperatorError);
      expect((caught as Error).message).to.match(/damaged/);
      const last = ssm.commandCalls(SendCommandCommand).at(-1)?.args[0].input.Parameters?.commands;
      expect(last?.[1]).to.equal('rm -f -- /tmp/pillbox-output-ab12cd35.gz');
    });
  });
});
