// Invariants of stack.yml (the real images on a runner) and scan.yml (Trivy) that a schema validator cannot see.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { toShellLine } from '../../scripts/lib/box/ssm-run.js';
import { buildScriptArgv, builderName } from '../../scripts/lib/deploy/plan.js';
import { loadCompose, parseEnvFile, readText } from '../compose/compose-files.js';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[]; strategy?: { matrix: { include: { image: string; version: string }[] } } }>;
}

const root = new URL('../../', import.meta.url);
const text = (path: string) => readFileSync(new URL(path, root), 'utf8');
const workflow = (path: string) => parse(text(path)) as Workflow;
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps);
const compose = loadCompose('compose/compose.yaml');

describe('stack.yml and scan.yml', () => {
  for (const path of ['.github/workflows/stack.yml', '.github/workflows/scan.yml']) {
    it(`${path} pins every action to a full commit SHA with its version, and names every step`, () => {
      const uses = text(path).split('\n').filter((line) => /^\s*(-\s+)?uses:/.test(line));
      expect(uses.length).to.be.above(0);
      for (const line of uses) expect(line.trim(), line).to.match(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
      for (const step of steps(workflow(path))) expect(step.name?.trim(), JSON.stringify(step).slice(0, 80)).to.not.equal(undefined);
    });
  }

  describe('stack.yml', () => {
    const stack = workflow('.github/workflows/stack.yml');
    const runs = steps(stack).map((s) => s.run ?? '');

    it('polls only through the retrying probes, never a bare loop that set -e ends on the first failed curl', () => {
      for (const run of runs) expect(run).to.not.match(/for attempt in/);
      const polling = runs.filter((r) => /has_documents|cluster_is_green/.test(r));
      expect(polling.length).to.be.at.least(3);
      for (const run of polling) {
        expect(run).to.include('source "$CHECKS"');
        for (const line of run.split('\n').filter((l) => /has_documents|cluster_is_green/.test(l))) expect(line.trim()).to.match(/^retry \d+ \d+ /);
      }
    });

    it('times `up` to all healthy, separately from pulling and building', () => {
      const up = runs.find((r) => r.includes('stack up'));
      expect(up).to.match(/started=\$\(date \+%s\)\n\s*stack up --detach --wait/);
      expect(up).to.not.include('--build');
      expect(runs.some((r) => r.includes('stack build'))).to.equal(true);
    });

    it('fails when a container peaks above 90% of its limit, sampling during the traffic burst', () => {
      expect(runs.some((r) => r.includes('check_peaks "$MEMORY_SAMPLES" 90'))).to.equal(true);
      const burst = runs.find((r) => r.includes('xargs -P'));
      expect(burst).to.include('sample_memory "$MEMORY_SAMPLES"');
    });

    it('asserts a green cluster, APM transactions with SQL spans, and Heartbeat summaries', () => {
      const all = runs.join('\n');
      expect(all).to.include('retry 12 10 cluster_is_green');
      expect(all).to.match(/processor\.event:transaction AND service\.name:pillbox/);
      expect(all).to.match(/processor\.event:span AND service\.name:pillbox AND span\.db\.type:sql/);
      expect(all).to.match(/monitor\.id:pillbox-app-readyz AND monitor\.status:up AND summary\.up:>0/);
      expect(all).to.match(/monitor\.id:pillbox-elasticsearch AND monitor\.status:up/);
    });

    it('reruns every set-up job and asserts it changed nothing', () => {
      const all = runs.join('\n');
      const jobs = Object.entries(compose.services)
        .filter(([name, s]) => s.restart === 'no' || name === 'kibana-setup')
        .map(([name]) => name);
      expect(jobs).to.have.members(['setup', 'heartbeat-setup', 'kibana-setup']);
      for (const job of jobs) expect(all, job).to.match(new RegExp(`stack run --rm --no-deps (--entrypoint \\S+ )?${job}\\b`));
      expect(all.match(/grep -q '\^0 changed'/g)?.length).to.equal(2);
      expect(all).to.include('if [ "$before" != "$after" ]');
    });

    describe('the pin check', () => {
      const pinStep = steps(stack).find((s) => s.run?.includes('docker manifest inspect'));
      let bin = '';
      beforeEach(() => (bin = mkdtempSync(join(tmpdir(), 'pillbox-pins-'))));
      afterEach(() => rmSync(bin, { recursive: true, force: true }));

      /** Runs the step with bash from the repository root, `stack` and `docker` stood in; `missing` do not resolve. */
      function runPinCheck(missing: string[], composeImages = 'caddy:2.11.4-alpine postgres:17.11-bookworm docker.elastic.co/elasticsearch/elasticsearch:9.5.6 pillbox-app pillbox-setup') {
        const stub = (name: string, body: string) => {
          writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
          chmodSync(join(bin, name), 0o755);
        };
        stub('stack', `[ "$*" = "config --images" ] || exit 9\nprintf '%s\\n' ${composeImages}`);
        stub('docker', `echo "$*" >>"${bin}/asked"\ncase " ${missing.join(' ')} " in *" $3 "*) exit 1 ;; esac`);
        const result = spawnSync('bash', ['-e', '-c', pinStep?.run ?? 'exit 99'], { cwd: fileURLToPath(root), encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env['PATH']}` } });
        const asked = (() => {
          try {
            return readFileSync(join(bin, 'asked'), 'utf8').trim().split('\n');
          } catch {
            return [];
          }
        })();
        return { status: result.status, stdout: result.stdout, asked };
      }

      it('runs under set -euo pipefail', () => {
        expect(pinStep?.run?.split('\n')[0]).to.equal('set -euo pipefail');
      });

      it('runs before anything is pulled or built', () => {
        const names = steps(stack).map((s) => s.run ?? '');
        const check = names.findIndex((r) => r.includes('docker manifest inspect'));
        expect(check).to.be.at.least(0);
        expect(check).to.be.below(names.findIndex((r) => r.includes('stack pull')));
      });

      it("asks the registry for every compose image, the Dockerfiles' bases and the deploy's BuildKit image, never for images built here", () => {
        const { status, asked } = runPinCheck([]);
        expect(status).to.equal(0);
        const images = asked.map((line) => line.replace(/^manifest inspect /, ''));
        expect(images).to.include.members(['caddy:2.11.4-alpine', 'postgres:17.11-bookworm', 'docker.elastic.co/elasticsearch/elasticsearch:9.5.6', 'node:24.22.3-bookworm-slim']);
        expect(images.some((i) => /^moby\/buildkit:v\d+\.\d+\.\d+$/.test(i))).to.equal(true);
        expect(images.filter((i) => i.startsWith('pillbox-'))).to.deep.equal([]);
      });

      it('fails, saying so in one line, when compose lists no third-party image (a model that did not load checks nothing)', () => {
        const { status, stdout, asked } = runPinCheck([], 'pillbox-app pillbox-setup');
        expect(status).to.equal(1);
        expect(stdout).to.equal("::error::stack config --images listed no third-party image: check the compose model (stack config).\n");
        expect(asked).to.deep.equal([]);
      });

      it('fails with one line naming each pin that does not resolve', () => {
        const { status, stdout } = runPinCheck(['docker.elastic.co/elasticsearch/elasticsearch:9.5.6', 'caddy:2.11.4-alpine']);
        expect(status).to.equal(1);
        const errors = stdout.split('\n').filter((l) => l.startsWith('::error::'));
        expect(errors).to.have.length(2);
        expect(errors.join('\n')).to.include('::error::docker.elastic.co/elasticsearch/elasticsearch:9.5.6 does not resolve in its registry');
      });
    });

    it('runs when the deploy build script or its BuildKit pin changes', () => {
      for (const event of ['pull_request', 'push']) {
        expect((stack.on[event] as { paths: string[] }).paths, event).to.include('scripts/lib/deploy/**');
      }
    });

    describe('the env files step', () => {
      const envStep = steps(stack).find((s) => s.run?.includes('openssl rand'));
      let temp = '';
      beforeEach(() => (temp = mkdtempSync(join(tmpdir(), 'pillbox-runner-'))));
      afterEach(() => rmSync(temp, { recursive: true, force: true }));

      it('writes the elastic password file as the box does (owner 1000, mode 0400, no newline) and points compose at it', () => {
        writeFileSync(join(temp, 'sudo'), '#!/bin/sh\nexec "$@"\n');
        chmodSync(join(temp, 'sudo'), 0o755);
        const result = spawnSync('bash', ['-e', '-c', envStep?.run ?? 'exit 99'], {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${temp}:${process.env['PATH']}`, RUNNER_TEMP: temp, GITHUB_WORKSPACE: fileURLToPath(root), GITHUB_PATH: join(temp, 'path'), WRITE_AUTH: join(temp, 'write-auth.curl') },
        });
        expect(result.status, result.stderr).to.equal(0);
        const file = join(temp, 'elastic_password');
        const secrets = parseEnvFile(readFileSync(join(temp, 'secrets.env'), 'utf8'));
        expect(readFileSync(file, 'utf8')).to.equal(secrets['ELASTIC_PASSWORD']);
        const st = statSync(file);
        expect([st.uid, st.gid, st.mode & 0o777]).to.deep.equal([1000, 0, 0o400]);
        expect(parseEnvFile(readFileSync(join(temp, 'pillbox.env'), 'utf8'))['PILLBOX_ELASTIC_PASSWORD_FILE']).to.equal(file);
      });
    });

    describe('the capped build step', () => {
      const buildStep = steps(stack).find((s) => s.run?.includes('buildScriptArgv'));

      it("runs the deploy's own build script, with the runner's compose wrapper, before the stack's images are built", () => {
        const lines = (buildStep?.run ?? '').split('\n');
        // The two lines that ask the repository for the script and the builder's container, run here for real.
        const ask = lines.filter((l) => /^(build|container)=/.test(l)).join('\n');
        const result = spawnSync('bash', ['-e', '-c', `${ask}\nprintf '%s\\n%s' "$build" "$container"`], { cwd: fileURLToPath(root), encoding: 'utf8' });
        expect(result.status, result.stderr).to.equal(0);
        const [container, ...build] = result.stdout.split('\n').reverse();
        expect(build.reverse().join('\n')).to.equal(toShellLine(buildScriptArgv(['stack'])));
        expect(container).to.equal(`buildx_buildkit_${builderName()}0`);
        expect(lines).to.include('eval "$build"');
        const order = steps(stack).map((s) => s.run ?? '');
        expect(order.findIndex((r) => r.includes('buildScriptArgv'))).to.be.below(order.findIndex((r) => r.includes('stack build')));
      });

      it('records the time and the builder container\'s peak RAM and swap from its cgroup', () => {
        const run = buildStep?.run ?? '';
        expect(run).to.match(/^set -euo pipefail$/m);
        expect(run).to.include('/sys/fs/cgroup/system.slice/docker-$id.scope');
        expect(run).to.include('memory.peak');
        expect(run).to.include('memory.swap.peak');
        expect(run).to.include('>> "$GITHUB_STEP_SUMMARY"');
      });
    });

    it('checks that no container has the elastic password in its environment', () => {
      expect(runs.join('\n')).to.include("docker inspect --format '{{json .Config.Env}}'");
    });
  });

  describe('scan.yml', () => {
    const scan = workflow('.github/workflows/scan.yml');
    const trivy = (job: string) => (scan.jobs[job]?.steps ?? []).filter((s) => s.uses?.startsWith('aquasecurity/trivy-action@'));

    it('runs on every push and pull request', () => {
      expect(scan.on).to.have.keys('push', 'pull_request');
    });

    it('fails the app image on fixable critical vulnerabilities only, and reports the rest', () => {
      const [gate, report] = trivy('app-image');
      expect(gate?.with).to.include({ 'image-ref': 'pillbox-app:scan', severity: 'CRITICAL', 'ignore-unfixed': true, 'exit-code': '1' });
      expect(report?.with).to.include({ 'exit-code': '0' });
      expect(String(report?.with?.['severity'])).to.include('HIGH');
    });

    it('keeps the app image SBOM as a build artifact', () => {
      const sbom = trivy('app-image').find((s) => s.with?.['format'] === 'cyclonedx');
      const upload = scan.jobs['app-image']?.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
      expect(upload?.with?.['path']).to.equal(sbom?.with?.['output']);
    });

    it('reports on every third-party image compose.yaml pins, at the tag compose/.env holds, without failing', () => {
      const pinned = parseEnvFile(readText('compose/.env'));
      const matrix = scan.jobs['third-party-images']?.strategy?.matrix.include ?? [];
      const images = Object.values(compose.services)
        .map((s) => s.image?.match(/^([^:]+):\$\{([A-Z_]+)/))
        .filter((m): m is RegExpMatchArray => m !== null && m !== undefined)
        .map((m) => ({ image: m[1] as string, version: m[2] as string }));
      expect(matrix).to.have.deep.members([...new Map(images.map((i) => [i.image, i])).values()]);
      for (const { version } of matrix) expect(pinned[version], version).to.not.equal(undefined);
      for (const step of trivy('third-party-images')) expect(step.with?.['exit-code']).to.equal('0');
    });
  });
});
