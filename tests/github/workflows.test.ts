import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VALIDATOR = join(ROOT, 'node_modules/.bin/action-validator');
const WORKFLOWS = join(ROOT, '.github/workflows');

async function validate(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(VALIDATOR, [file], { cwd: ROOT });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('GitHub workflows (action-validator)', function () {
  this.timeout(60_000);
  const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();

  it('finds the workflows to check', () => {
    expect(files).to.include('stack.yml');
  });

  for (const file of files) {
    it(`${file} is a valid workflow`, async () => {
      const { code, output } = await validate(join(WORKFLOWS, file));
      expect(code, output).to.equal(0);
    });
  }

  it('is really validating: a job without runs-on fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pillbox-workflow-'));
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'on: push\njobs:\n  build:\n    runs-onn: ubuntu-latest\n    steps:\n      - run: echo hi\n');
    expect((await validate(bad)).code).to.not.equal(0);
  });
});
