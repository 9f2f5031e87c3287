// Runs the route step of ephemeral.yml with bash, as GitHub would, and checks the action
// and environment name it picks, including that its slug is the CLI's slugEnvName.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { slugEnvName } from '../../scripts/lib/core/names.js';

const root = new URL('../../', import.meta.url);

interface Step {
  id?: string;
  run?: string;
}

function routeScript(): string {
  const workflow = parse(readFileSync(new URL('.github/workflows/ephemeral.yml', root), 'utf8')) as {
    jobs: Record<string, { steps: Step[] }>;
  };
  const step = workflow.jobs.route?.steps.find((s) => s.id === 'route');
  if (!step?.run) throw new Error('ephemeral.yml has no route step with a run script');
  return step.run;
}

interface RouteResult {
  status: number | null;
  outputs: Record<string, string>;
  log: string;
}

/** The event as GitHub exposes it to the step through env vars. */
function anEvent(env: Record<string, string>): Record<string, string> {
  return {
    EVENT: 'push',
    REF: 'refs/heads/main',
    REPOSITORY: 'octo/pillbox',
    DISPATCH_ACTION: '',
    DELETED_REF: '',
    DELETED_REF_TYPE: '',
    PR_BRANCH: '',
    PR_REPOSITORY: '',
    ROLE: 'arn:aws:iam::123456789012:role/pillbox-deploy',
    REGION: 'eu-west-1',
    ...env,
  };
}

function route(env: Record<string, string>): RouteResult {
  const dir = mkdtempSync(join(tmpdir(), 'pillbox-route-'));
  try {
    const output = join(dir, 'output');
    const summary = join(dir, 'summary');
    writeFileSync(output, '');
    const result = spawnSync('bash', ['-e', '-c', routeScript()], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...anEvent(env), GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary },
      encoding: 'utf8',
    });
    const outputs = Object.fromEntries(
      readFileSync(output, 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    return { status: result.status, outputs, log: result.stdout + result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('ephemeral.yml route step', () => {
  const branches = [
    'feat/login',
    'feat/Add_Login-Form',
    'feat-UPPER.case',
    'feat/a/b/c',
    'feat/a-very-long-branch-name-that-exceeds-the-limit',
    'feat/abcdefghijklmnopqr--tail',
    'feat/x--y__z..',
    'feat/ünïcödé-name',
    'feat/123-numbers',
  ];

  for (const branch of branches) {
    it(`names the environment of ${branch} exactly as the CLI does (${slugEnvName(branch)})`, () => {
      const result = route({ EVENT: 'push', REF: `refs/heads/${branch}` });
      expect(result.status, result.log).to.equal(0);
      expect(result.outputs).to.include({ action: 'provision', branch, env: slugEnvName(branch) });
    });
  }

  it('tears down the environment of a deleted feature branch', () => {
    const result = route({ EVENT: 'delete', DELETED_REF: 'feat/login', DELETED_REF_TYPE: 'branch' });
    expect(result.outputs).to.include({ action: 'teardown', env: 'feat-login' });
  });

  it('accepts a deleted ref given in full (refs/heads/...)', () => {
    const result = route({ EVENT: 'delete', DELETED_REF: 'refs/heads/feat-x', DELETED_REF_TYPE: 'branch' });
    expect(result.outputs).to.include({ action: 'teardown', env: 'feat-x' });
  });

  it('ignores a deleted tag, even one named like a feature branch', () => {
    const result = route({ EVENT: 'delete', DELETED_REF: 'feat/login', DELETED_REF_TYPE: 'tag' });
    expect(result.status).to.equal(0);
    expect(result.outputs).to.deep.equal({ action: 'skip' });
  });

  it('ignores a deleted branch that is not a feature branch (delete has no branch filter)', () => {
    const result = route({ EVENT: 'delete', DELETED_REF: 'fix/typo', DELETED_REF_TYPE: 'branch' });
    expect(result.outputs).to.deep.equal({ action: 'skip' });
  });

  it('ignores feat-* branches with a slash, as the push filter feat-* does', () => {
    const result = route({ EVENT: 'delete', DELETED_REF: 'feat-x/y', DELETED_REF_TYPE: 'branch' });
    expect(result.outputs).to.deep.equal({ action: 'skip' });
  });

  it('tears down when a pull request from a feature branch of the repository closes', () => {
    const result = route({ EVENT: 'pull_request', REF: 'refs/pull/7/merge', PR_BRANCH: 'feat/login', PR_REPOSITORY: 'octo/pillbox' });
    expect(result.outputs).to.include({ action: 'teardown', env: 'feat-login' });
  });

  it('ignores a closed pull request from a fork, whatever its branch name', () => {
    const result = route({ EVENT: 'pull_request', PR_BRANCH: 'feat/login', PR_REPOSITORY: 'someone/pillbox' });
    expect(result.outputs).to.deep.equal({ action: 'skip' });
  });

  it('sweeps expired environments on schedule', () => {
    const result = route({ EVENT: 'schedule' });
    expect(result.outputs).to.include({ action: 'teardown-expired', env: '' });
  });

  it('runs the chosen action when dispatched from a feature branch', () => {
    const result = route({ EVENT: 'workflow_dispatch', REF: 'refs/heads/feat/login', DISPATCH_ACTION: 'teardown' });
    expect(result.outputs).to.include({ action: 'teardown', env: 'feat-login' });
  });

  it('fails a dispatch from a branch that is not a feature branch, saying how to name it', () => {
    const result = route({ EVENT: 'workflow_dispatch', REF: 'refs/heads/main', DISPATCH_ACTION: 'provision' });
    expect(result.status).to.equal(1);
    expect(result.log).to.contain('::error::Branch main is not a feature branch');
    expect(result.outputs).to.deep.equal({});
  });

  it('fails a branch whose name leaves no topic after feat', () => {
    const result = route({ EVENT: 'push', REF: 'refs/heads/feat/-' });
    expect(result.status).to.equal(1);
    expect(result.log).to.contain('gives the environment name feat;');
  });

  it('fails with the fix when the deploy role variable is missing', () => {
    const result = route({ EVENT: 'push', REF: 'refs/heads/feat/login', ROLE: '' });
    expect(result.status).to.equal(1);
    expect(result.log).to.contain('AWS_DEPLOY_ROLE_ARN is not set');
  });

  it('skips the hourly sweep and pushes with a notice while the AWS set-up is not done', () => {
    const events: Record<string, string>[] = [{ EVENT: 'schedule' }, { EVENT: 'push', REF: 'refs/heads/feat/login' }];
    for (const event of events) {
      const result = route({ ...event, ROLE: '', REGION: '' });
      expect(result.status, event.EVENT).to.equal(0);
      expect(result.outputs, event.EVENT).to.deep.equal({ action: 'skip' });
      expect(result.log).to.contain('::notice::Ephemeral environments are off');
    }
  });

  it('fails a dispatch while the AWS set-up is not done, naming the variable', () => {
    const result = route({ EVENT: 'workflow_dispatch', REF: 'refs/heads/feat/login', DISPATCH_ACTION: 'provision', ROLE: '', REGION: '' });
    expect(result.status).to.equal(1);
    expect(result.log).to.contain('AWS_DEPLOY_ROLE_ARN is not set');
  });

  it('does not need the AWS variables to skip an unrelated event', () => {
    const result = route({ EVENT: 'delete', DELETED_REF: 'v1.0.0', DELETED_REF_TYPE: 'tag', ROLE: '', REGION: '' });
    expect(result.status).to.equal(0);
    expect(result.outputs).to.deep.equal({ action: 'skip' });
  });
});
