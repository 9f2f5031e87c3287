// The shell scripts deploy sends, run for real under sh with a stand-in for docker.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { toScript } from '../../../scripts/lib/box/ssm-run.js';
import { canaryReadyCommand, observeCommand, parseObserved } from '../../../scripts/lib/deploy/plan.js';

function runScript(argv: string[], bin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', toScript([argv]).join('\n')], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('deploy scripts on the box', function () {
  this.timeout(15_000);
  let bin: string;
  beforeEach(() => (bin = mkdtempSync(join(tmpdir(), 'pillbox-bin-'))));
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  function stub(name: string, body: string): void {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }

  it('reads the active release\'s commit and the app container image through the contract compose invocation', async () => {
    writeFileSync(join(bin, 'commit'), '1111111111111111111111111111111111111111\n');
    stub(
      'docker',
      `case "$*" in
  *"--env-file /etc/pillbox/secrets.env ps --all --quiet app") echo c0ffee ;;
  "inspect --format {{.Image}} {{.Config.Image}} c0ffee") echo "sha256:abc pillbox-app" ;;
  *) echo "unexpected docker $*" >&2; exit 9 ;;
esac`,
    );
    const out = await runScript(observeCommand(join(bin, 'commit')), bin);
    expect(out.code, out.stderr).to.equal(0);
    expect(parseObserved(out.stdout)).to.deep.equal({ commit: '1111111111111111111111111111111111111111', imageId: 'sha256:abc', imageName: 'pillbox-app' });
  });

  it('exits 3 when there is no app container', async () => {
    writeFileSync(join(bin, 'commit'), '1111111111111111111111111111111111111111\n');
    stub('docker', 'exit 0');
    const out = await runScript(observeCommand(join(bin, 'commit')), bin);
    expect(out.code).to.equal(3);
    expect(out.stderr).to.contain('no app container on the box');
  });

  it('waits for the canary to answer /readyz inside its container', async () => {
    const count = join(bin, 'count');
    writeFileSync(count, '0');
    // Not ready on the first probe, ready on the second.
    stub(
      'docker',
      `case "$1" in
  inspect) echo true ;;
  exec) n=$(cat ${count}); echo $((n + 1)) > ${count}; [ "$2" = pillbox-app-canary ] && [ "$3" = node ] && [ "$6" = http://127.0.0.1:3000/readyz ] && [ "$n" -ge 1 ] ;;
esac`,
    );
    const out = await runScript(canaryReadyCommand(30), bin);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout.trim()).to.equal('ready');
  });

  it('fails at once when the canary container has stopped', async () => {
    stub('docker', 'case "$1" in inspect) echo false ;; exec) exit 1 ;; esac');
    const started = Date.now();
    const out = await runScript(canaryReadyCommand(30), bin);
    expect(out.code).to.equal(1);
    expect(out.stderr).to.contain('stopped before it was ready');
    expect(Date.now() - started).to.be.below(2000);
  });

  it('gives up after the time limit', async () => {
    stub('docker', 'case "$1" in inspect) echo true ;; exec) exit 1 ;; esac');
    const out = await runScript(canaryReadyCommand(0), bin);
    expect(out.code).to.equal(1);
    expect(out.stderr).to.contain('was not ready after 0s');
  });
});
