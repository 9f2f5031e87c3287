// No Docker engine here: the Dockerfile's invariants are checked as text; CI builds it for real.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dockerfile = readFileSync(`${root}app/Dockerfile`, 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = instructions.filter((l) => l.startsWith('FROM '));
const finalStage = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1]!));
const ignored = readFileSync(`${root}.dockerignore`, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));

describe('app/Dockerfile', () => {
  it('builds in stages from one exactly pinned Node 24 slim image', () => {
    expect(stages.length).to.be.greaterThanOrEqual(3);
    const images = new Set(stages.map((s) => s.split(/\s+/)[1]));
    expect([...images]).to.have.length(1);
    expect([...images][0]).to.match(/^node:24\.\d+\.\d+-[a-z]+-slim$/);
  });

  it('ships production dependencies only, runs as a non-root user under an init process', () => {
    expect(instructions.some((l) => /npm ci .*--omit=dev/.test(l))).to.equal(true);
    expect(finalStage.filter((l) => l.startsWith('USER ')).pop()).to.equal('USER node');
    expect(finalStage.find((l) => l.startsWith('ENTRYPOINT'))).to.equal('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(finalStage.find((l) => l.startsWith('CMD'))).to.contain('"-r", "./dist/observability/apm-start.js"');
  });

  it('applies the repository\'s dependency patches to the production dependencies, with the lockfile\'s patch-package', () => {
    const deps = instructions.slice(instructions.findIndex((l) => / AS deps$/.test(l)), instructions.lastIndexOf(stages[stages.length - 1]!));
    const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as { packages: Record<string, { version: string }> };
    const version = lock.packages['node_modules/patch-package']!.version;
    const install = deps.findIndex((l) => /npm ci .*--omit=dev/.test(l));
    const patch = deps.findIndex((l) => l.includes(`npx --yes patch-package@${version} --error-on-fail`));
    expect(install, 'npm ci in the deps stage').to.be.greaterThan(-1);
    expect(patch, `patch-package@${version} after it`).to.be.greaterThan(install);
    expect(deps).to.include('COPY patches patches');
    expect(readdirSync(`${root}patches`)).to.include('elastic-apm-node+4.18.0.patch');
  });

  it('has a HEALTHCHECK on /healthz', () => {
    expect(finalStage.find((l) => l.startsWith('HEALTHCHECK'))).to.match(/\/healthz/);
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const sources = instructions
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.replace(/^COPY\s+/, '').split(/\s+/).slice(0, -1));
    expect(sources.length).to.be.greaterThan(3);
    for (const source of sources) {
      expect(existsSync(`${root}${source}`), source).to.equal(true);
      const blocked = ignored.find((pattern) => source === pattern || source.startsWith(`${pattern.replace(/^\*\*\//, '')}/`));
      expect(blocked, `${source} is excluded by .dockerignore`).to.equal(undefined);
    }
  });
});
