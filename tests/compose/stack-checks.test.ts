// compose/ci/stack-checks.sh, the probes stack.yml sources, run with bash against fake `stack` and `docker` commands:
// a probe that fails while the stack settles must be retried, never end the step under `set -e`.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './compose-files.js';

const CHECKS = join(ROOT, 'compose/ci/stack-checks.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A bin directory with fake `stack` and `docker` scripts; `calls` counts `stack` invocations. */
function fakeBin(stack: string, docker = 'exit 1'): { dir: string; calls: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'pillbox-stack-checks-'));
  const counter = join(dir, 'calls');
  writeFileSync(counter, '0');
  const write = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  write('stack', `n=$(( $(cat '${counter}') + 1 )); echo "$n" > '${counter}'\n${stack}`);
  write('docker', docker);
  // retry sleeps between attempts; the tests need no real waiting.
  write('sleep', 'exit 0');
  return { dir, calls: () => Number(readFileSync(counter, 'utf8')) };
}

function run(bin: string, script: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/bash',
      ['-c', `set -euo pipefail; source '${CHECKS}'; ${script}`],
      { env: { PATH: `${bin}:/usr/bin:/bin` }, timeout: 20_000 },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
  });
}

describe('compose/ci/stack-checks.sh (sourced by stack.yml)', () => {
  it('keeps polling after a refused connection under set -e, until the documents arrive', async () => {
    // Elasticsearch refuses twice (curl exits 7), then answers with a count.
    const bin = fakeBin(`n=$(cat "$(dirname "$0")/calls"); if ((n < 3)); then echo 'curl: (7) Failed to connect' >&2; exit 7; fi; echo '{"count":4,"_shards":{}}'`);
    const result = await run(bin.dir, `retry 5 1 has_documents 'traces-apm*' 'processor.event:transaction'; echo reached`);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include('reached');
    expect(bin.calls()).to.equal(3);
  });

  it('keeps polling while the count is zero, and gives up after the last attempt with a failure', async () => {
    const bin = fakeBin(`echo '{"count":0}'`);
    const result = await run(bin.dir, `retry 4 1 has_documents 'heartbeat-*' 'monitor.status:up' || { echo gave-up; exit 3; }`);
    expect(result.code).to.equal(3);
    expect(result.stdout).to.include('gave-up');
    expect(bin.calls()).to.equal(4);
  });

  it("finds an app log line's trace id among APM's transactions, and not before both have arrived", async () => {
    const TRACE = '0af7651916cd43dd8448eb211c80319c';
    // The fake answers the logs search with a hit, then the transaction count from its second argument onwards.
    const search = `{"hits":{"hits":[{"_source":{"trace":{"id":"${TRACE}"}}}]}}`;
    const answer = (count: number) => `args="$*"; if [[ $args == *_search* ]]; then echo '${search}'; else echo '{"count":${count}}'; fi`;
    const found = await run(fakeBin(answer(2)).dir, 'traced_log_line');
    expect(found.code, found.stderr).to.equal(0);
    expect(found.stdout.trim()).to.equal(TRACE);
    expect(found.stderr).to.include(`trace.id:${TRACE}`);
    const noTransaction = await run(fakeBin(answer(0)).dir, 'if traced_log_line 2>/dev/null; then echo found; else echo not-yet; fi');
    expect(noTransaction.stdout.trim()).to.equal('not-yet');
    const noHit = await run(fakeBin(`echo '{"hits":{"hits":[]}}'`).dir, 'if traced_log_line 2>/dev/null; then echo found; else echo not-yet; fi');
    expect(noHit.stdout.trim()).to.equal('not-yet');
  });

  it('treats an answer without a count as not yet, not as a number', async () => {
    const bin = fakeBin(`echo '{"error":"index_not_found_exception"}'`);
    const result = await run(bin.dir, `if es_count 'heartbeat-*' 'x'; then echo counted; else echo not-yet; fi`);
    expect(result.stdout.trim()).to.equal('not-yet');
  });

  it('calls the cluster green only when the status field says so, although red answers 200', async () => {
    for (const [status, expected] of [['green', 'green'], ['yellow', 'not-green'], ['red', 'not-green']] as const) {
      const bin = fakeBin(`echo '{"cluster_name":"pillbox","status":"${status}"}'`);
      const result = await run(bin.dir, `if cluster_is_green 2>/dev/null; then echo green; else echo not-green; fi`);
      expect(result.stdout.trim(), status).to.equal(expected);
    }
  });

  it('reads the elastic password from the secret file inside the container, never from the runner', async () => {
    const bin = fakeBin(`printf '%s\\n' "$@"`);
    const result = await run(bin.dir, `es_get '/_cluster/health'`);
    expect(result.stdout).to.include('exec\n-T\nelasticsearch\nbash\n-c\n');
    expect(result.stdout).to.include('$(< /run/secrets/elastic_password)');
    expect(result.stdout).to.include('--config -');
  });

  it('converts docker stats sizes to MiB, rounding up', async () => {
    const bin = fakeBin('exit 0');
    const result = await run(bin.dir, `for s in 0B 900KiB 512MiB 512.3MiB 1.5GiB; do mebibytes "$s"; done`);
    expect(result.stdout.trim().split('\n')).to.deep.equal(['0', '1', '512', '513', '1536']);
  });

  describe('peak memory against the limit', () => {
    const docker = `case "$1" in
  stats) printf '%s\\n' 'pillbox-app-1 300MiB / 512MiB' 'pillbox-elasticsearch-1 1.01GiB / 1GiB' ;;
  inspect) case "$4" in pillbox-app-1) echo 536870912 ;; pillbox-elasticsearch-1) echo 1073741824 ;; *) echo 0 ;; esac ;;
esac`;

    it('keeps the highest of every sample per container', async () => {
      const samples = join(mkdtempSync(join(tmpdir(), 'pillbox-samples-')), 'samples.txt');
      writeFileSync(samples, 'pillbox-app-1 100\npillbox-app-1 400\npillbox-app-1 200\n');
      const bin = fakeBin('exit 0', docker);
      const result = await run(bin.dir, `check_peaks '${samples}' 90`);
      expect(result.code, result.stdout).to.equal(0);
      expect(result.stdout).to.match(/pillbox-app-1\s+400\s+512\s+78/);
    });

    it('fails naming the container that went above 90% of its limit', async () => {
      const samples = join(mkdtempSync(join(tmpdir(), 'pillbox-samples-')), 'samples.txt');
      const bin = fakeBin('exit 0', docker);
      const result = await run(bin.dir, `sample_memory '${samples}'; check_peaks '${samples}' 90`);
      expect(result.code).to.not.equal(0);
      expect(result.stdout).to.include('::error::pillbox-elasticsearch-1 peaked at 1035 MiB, above 90% of its 1024 MiB limit');
      expect(result.stdout).to.not.include('::error::pillbox-app-1');
    });

    it('fails on a container without a memory limit', async () => {
      const samples = join(mkdtempSync(join(tmpdir(), 'pillbox-samples-')), 'samples.txt');
      writeFileSync(samples, 'pillbox-stray-1 10\n');
      const result = await run(fakeBin('exit 0', docker).dir, `check_peaks '${samples}' 90`);
      expect(result.code).to.not.equal(0);
      expect(result.stdout).to.include('::error::pillbox-stray-1 has no memory limit');
    });
  });
});
