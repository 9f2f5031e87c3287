import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './compose-files.js';

const run = promisify(execFile);
const DCLINT = join(ROOT, 'node_modules/.bin/dclint');
const CONFIG = join(ROOT, 'compose/.dclintrc.yaml');

async function dclint(...files: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(DCLINT, ['-c', CONFIG, '--max-warnings', '0', '--color', 'false', ...files], { cwd: ROOT });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('dclint', function () {
  this.timeout(60_000);

  it('passes the appliance, dev and prebuilt compose files with no errors or warnings', async () => {
    const { code, output } = await dclint('compose/compose.yaml', 'compose/compose.dev.yaml', 'compose/compose.prebuilt.yaml');
    expect(code, output).to.equal(0);
  });

  it('is really linting: a floating tag and a port open on every interface fail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pillbox-dclint-'));
    const file = join(dir, 'compose.yaml');
    writeFileSync(file, 'name: bad\nservices:\n  web:\n    image: nginx:latest\n    ports:\n      - "8080:80"\n');
    const { code, output } = await dclint(file);
    expect(code).to.not.equal(0);
    expect(output).to.include('no-unbound-port-interfaces');
  });
});
