// Invariants of ci.yml, ephemeral.yml and dependabot.yml that a schema validator cannot see:
// pinned actions, named steps, no event data spliced into shell, the ephemeral triggers and
// concurrency, and that every npm script and Dockerfile they name exists.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

interface Job {
  steps: Step[];
  container?: string | { image: string; options?: string };
  if?: string;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  environment?: { name: string; url: string };
}

interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const OURS = ['.github/workflows/ci.yml', '.github/workflows/ephemeral.yml'];
const workflow = (path: string): Workflow => parse(read(path)) as Workflow;
const steps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((job) => job.steps);

describe('workflows (ci.yml, ephemeral.yml)', () => {
  for (const path of OURS) {
    describe(path, () => {
      it('pins every action to a full commit SHA with its version in a comment', () => {
        const uses = read(path)
          .split('\n')
          .filter((line) => /^\s*(-\s+)?uses:/.test(line));
        expect(uses.length).to.be.above(0);
        for (const line of uses) expect(line.trim(), line).to.match(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
      });

      it('names every step, so a red step says what failed', () => {
        for (const step of steps(workflow(path))) expect(step.name?.trim().length ?? 0, JSON.stringify(step).slice(0, 80)).to.be.above(0);
      });

      it('passes event data to shell through env, never spliced into the script', () => {
        for (const step of steps(workflow(path)).filter((s) => s.run)) {
          expect(step.run, step.name).to.not.match(/\$\{\{\s*(github\.(event|head_ref)|inputs\.|needs\.)/);
        }
      });

      it('runs only npm scripts that package.json defines', () => {
        const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
        const invoked = steps(workflow(path))
          .flatMap((s) => [...(s.run ?? '').matchAll(/npm run (?:--silent )?([\w:-]+)/g)])
          .map((m) => m[1] as string);
        const missing = [...new Set(invoked)].filter((name) => !(name in scripts));
        expect(missing, 'npm scripts the workflow runs but package.json lacks').to.deep.equal([]);
      });
    });
  }

  describe('ci.yml', () => {
    const ci = workflow('.github/workflows/ci.yml');

    it('runs on every push and pull request with read-only contents', () => {
      expect(ci.on).to.have.keys('push', 'pull_request');
      expect(ci.permissions).to.deep.equal({ contents: 'read' });
    });

    it('caches npm through setup-node wherever it installs dependencies', () => {
      for (const job of Object.values(ci.jobs).filter((j) => j.steps.some((s) => s.run === 'npm ci'))) {
        const setup = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
        expect(setup?.with?.cache).to.equal('npm');
      }
    });

    it("installs in its test job every Debian package .ci/run installs, so the suite sees the same programs", () => {
      const ciRunPackages = [...read('.ci/run').matchAll(/missing\+=\(([a-z0-9.-]+)\)/g)].map((m) => m[1]);
      expect(ciRunPackages).to.include('chromium');
      const apt = steps(ci).find((s) => s.run?.includes('apt-get install') && s.run.includes('chromium'))?.run ?? '';
      const installed = apt.split(/\s+/);
      expect(ciRunPackages.filter((pkg) => !installed.includes(pkg as string))).to.deep.equal([]);
    });

    it("gives its test job's container the caddy service's sysctls: the edge suite cannot write a read-only /proc/sys", () => {
      const caddy = (parse(read('compose/compose.yaml')) as { services: Record<string, { sysctls?: Record<string, unknown> }> }).services['caddy'];
      const wanted = Object.entries(caddy?.sysctls ?? {}).map(([key, value]) => `--sysctl ${key}=${String(value)}`);
      expect(wanted).to.not.deep.equal([]);
      const container = ci.jobs['test']?.container;
      const options = typeof container === 'object' ? (container.options ?? '') : '';
      for (const flag of wanted) expect(options.split(/\s+(?=--)/), flag).to.include(flag);
    });

    it('builds every Dockerfile that exists with the repository root as context', () => {
      const builds = steps(ci)
        .map((s) => /docker build --file (\S+) .* \.$/.exec(s.run ?? '')?.[1])
        .filter(Boolean);
      expect(builds).to.have.members(['app/Dockerfile', 'elk/setup/Dockerfile']);
      for (const dockerfile of builds) expect(existsSync(new URL(dockerfile as string, root)), dockerfile).to.equal(true);
    });
  });

  describe('ephemeral.yml', () => {
    const eph = workflow('.github/workflows/ephemeral.yml');

    it('listens to feature-branch pushes, closed pull requests, deletes, a schedule and manual runs', () => {
      expect(eph.on).to.have.keys('push', 'pull_request', 'delete', 'schedule', 'workflow_dispatch');
      expect(eph.on.push).to.deep.equal({ branches: ['feat/**', 'feat-*'] });
      expect(eph.on.pull_request).to.deep.equal({ types: ['closed'] });
    });

    it('asks only for an OIDC token and read access', () => {
      expect(eph.permissions).to.deep.equal({ 'id-token': 'write', contents: 'read' });
    });

    it('never cancels a provision or teardown in progress, and serialises runs per environment', () => {
      for (const name of ['provision', 'teardown']) {
        const job = eph.jobs[name]!;
        expect(job.concurrency?.['cancel-in-progress'], name).to.equal(false);
        expect(job.concurrency?.group, name).to.contain('needs.route.outputs.env');
      }
    });

    it('shows the provisioned URL as the GitHub environment URL', () => {
      expect(eph.jobs.provision?.environment).to.deep.equal({
        name: '${{ needs.route.outputs.env }}',
        url: '${{ steps.provision.outputs.url }}',
      });
      const provision = eph.jobs.provision!.steps.find((s) => (s as { id?: string }).id === 'provision');
      expect(provision?.run).to.contain('npm run --silent provision -- --env "$ENV_NAME" --json');
    });

    it('takes AWS credentials from the role in repository variables', () => {
      for (const name of ['provision', 'teardown']) {
        const aws = eph.jobs[name]!.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
        expect(aws?.with, name).to.include({ 'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}', 'aws-region': '${{ vars.AWS_REGION }}' });
      }
    });

    it('passes each CLI command only flags its --help lists', function () {
      this.timeout(60_000);
      const calls = steps(eph).flatMap((s) => [...(s.run ?? '').matchAll(/npm run (?:--silent )?(\w+) -- ([^>\n]*)/g)]);
      expect(calls.length).to.be.above(2);
      for (const [, command, args] of calls as unknown as [string, string, string][]) {
        const help = execFileSync(fileURLToPath(new URL('node_modules/.bin/tsx', root)), [`scripts/${command}.ts`, '--help'], {
          cwd: fileURLToPath(root),
          encoding: 'utf8',
        });
        for (const flag of args.match(/--[a-z-]+/g) ?? []) expect(help, `npm run ${command} -- ${flag}`).to.match(new RegExp(`^\\s+${flag}\\b`, 'm'));
      }
    });

    it('releases the environment’s lock when its provision or teardown step was cancelled or failed (killed), and only then', () => {
      for (const [job, id] of [['provision', 'provision'], ['teardown', 'teardown']] as const) {
        const all = eph.jobs[job]!.steps as { id?: string; if?: string; run?: string }[];
        const at = all.findIndex((s) => s.id === id);
        const unlock = all.slice(at + 1).find((s) => /npm run unlock -- --env "\$ENV_NAME" --yes/.test(s.run ?? ''));
        expect(unlock?.if, job).to.equal(`always() && (steps.${id}.outcome == 'cancelled' || steps.${id}.outcome == 'failure')`);
      }
    });

    it('sweeps expired environments on schedule with --all-expired', () => {
      expect(read('.github/workflows/ephemeral.yml')).to.contain('npm run teardown -- --all-expired --prefix feat- --yes');
    });
  });
});

describe('dependabot.yml', () => {
  const config = parse(read('.github/dependabot.yml')) as {
    updates: { 'package-ecosystem': string; directory?: string; directories?: string[] }[];
  };
  const dirsOf = (ecosystem: string): string[] =>
    config.updates.filter((u) => u['package-ecosystem'] === ecosystem).flatMap((u) => u.directories ?? [u.directory as string]);

  it('updates npm, GitHub Actions, the Dockerfiles and the compose files', () => {
    expect(dirsOf('npm')).to.deep.equal(['/']);
    expect(dirsOf('github-actions')).to.deep.equal(['/']);
    expect(dirsOf('docker')).to.have.members(['/app', '/elk/setup']);
    expect(dirsOf('docker-compose')).to.deep.equal(['/compose']);
  });

  it('points at directories that hold what the ecosystem reads', () => {
    for (const dir of dirsOf('docker')) expect(existsSync(new URL(`.${dir}/Dockerfile`, root)), dir).to.equal(true);
    expect(existsSync(new URL('compose/compose.yaml', root))).to.equal(true);
    expect(existsSync(new URL('package-lock.json', root))).to.equal(true);
  });
});
