// Ctrl-C at a question: readline puts the terminal in raw mode, so the key reaches the prompt, not the
// process's SIGINT handler. Run under a real pseudo-terminal (util-linux `script`), as an operator types it.
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { root } from '../docs/cli-scripts.js';

interface Ended {
  code: number | null;
  output: string;
}

/** Runs `node <args>` on a pseudo-terminal, waits for `prompt`, then types `keys`. */
function onTerminal(args: string[], prompt: RegExp, keys: string): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: 'eu-west-1', PILLBOX_ENV: '', TERM: 'dumb' };
    delete env.CI;
    const line = ['node', '--import', 'tsx', ...args].join(' ');
    // -e: script exits with the command's code; -f: output flushed as it comes; the log goes nowhere.
    const child = spawn('script', ['-qefc', line, '/dev/null'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let typed = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (!typed && prompt.test(output)) {
        typed = true;
        child.stdin.write(keys);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const ASKS = 'tests/fixtures/ask-on-terminal.ts';
const PROMPT = /Keep it that long\? \[y\/N\] /;

describe('a question on the terminal', function () {
  this.timeout(90_000);

  it('ends on Ctrl-C with "nothing was changed" and exit 1, not an unsettled await', async () => {
    const ended = await onTerminal([ASKS], PROMPT, '\x03');
    expect(ended.output).to.match(/✖ Aborted at the question; nothing was changed\.\r?\n {2}→ /);
    expect(ended.output).to.not.include('unsettled top-level await');
    expect(ended.code, ended.output).to.equal(1);
  });

  it('takes Enter as no, and y as yes', async () => {
    expect((await onTerminal([ASKS], PROMPT, '\r')).output).to.include('answered no');
    expect((await onTerminal([ASKS], PROMPT, 'y\r')).output).to.include('answered yes');
  });
});
