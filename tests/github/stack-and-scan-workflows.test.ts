// Invariants of stack.yml (the real images on a runner) and scan.yml (Trivy) that a schema validator cannot see.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
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
