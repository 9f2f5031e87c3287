import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const tsx = 'node_modules/.bin/tsx';

/** Runs an entry file as an operator would; AWS is never reached in these cases. */
async function cli(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [file, ...args], { env: { ...process.env, AWS_REGION: 'eu-west-1', PILLBOX_ENV: '' }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the provision and teardown commands', function () {
  this.timeout(60_000);

  it('stop on a bad setting with cause and fix, exit 1, no stack trace', async () => {
    const { code, stderr } = await cli('scripts/teardown.ts', ['--env', 'Bad_Name']);
    expect(code).to.equal(1);
    expect(stderr).to.include('✖ --env=Bad_Name: expected 1–24 characters of a-z, 0-9 and -, starting with a letter\n  → Set --env or PILLBOX_ENV');
    expect(stderr).not.to.match(/\n\s+at /);
  });
});
