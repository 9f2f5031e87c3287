// Box scripts run for real under sh, with stand-ins (stubs) for the programs they call ahead on PATH.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toScript } from '../../../scripts/lib/box/ssm-run.js';

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh stub directory per test of the calling suite; `stub` writes one program into it. */
export function useStubBin(): { dir: () => string; stub: (name: string, body: string) => void; run: (argv: readonly string[]) => Promise<ScriptRun> } {
  let bin = '';
  beforeEach(() => (bin = mkdtempSync(join(tmpdir(), 'pillbox-bin-'))));
  afterEach(() => rmSync(bin, { recursive: true, force: true }));
  return {
    dir: () => bin,
    stub(name, body) {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    },
    // The same script text SSM runs: `set -eu`, then the quoted argv.
    run: (argv) =>
      new Promise((resolve) => {
        execFile('sh', ['-c', toScript([argv]).join('\n')], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } }, (err, stdout, stderr) => {
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      }),
  };
}
