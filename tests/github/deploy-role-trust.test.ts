// The deploy role's trust (docs/deploy-role-trust-policy.json) against the workflow it serves:
// with the repository's subject customization (repo, context, job_workflow_ref; docs/aws-setup.md
// step 4), every job of ephemeral.yml gets a subject the trust admits, and no other workflow,
// repository or environment does. AWS evaluates only `aud` and `sub` of a GitHub token, and the
// policy simulator the other tests use does not evaluate these keys at all (it reports them
// ignored), so the StringLike match is spelt out here: `*` any characters, `?` one.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { slugEnvName } from '../../scripts/lib/core/names.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const trust = JSON.parse(readFileSync(`${root}docs/deploy-role-trust-policy.json`, 'utf8')) as {
  Statement: { Effect: string; Action: string; Principal: { Federated: string }; Condition: Record<string, Record<string, string | string[]>> }[];
};
interface Job {
  environment?: unknown;
  steps?: { uses?: string }[];
}
const workflow = parse(readFileSync(`${root}.github/workflows/ephemeral.yml`, 'utf8')) as { on: Record<string, unknown> & { push: { branches: string[] } }; jobs: Record<string, Job> };

const SUB = 'token.actions.githubusercontent.com:sub';
const [statement] = trust.Statement;
const subjects = [statement?.Condition.StringLike?.[SUB] ?? []].flat();

/** IAM's StringLike: the whole value, `*` for any run of characters (`/` and `:` too), `?` for one. */
const stringLike = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value);
const admitted = (sub: string) => subjects.some((pattern) => stringLike(pattern, sub));

const ref = (workflowFile: string, at: string, repo = 'OWNER/REPO') => `job_workflow_ref:${repo}/.github/workflows/${workflowFile}@${at}`;
const ephemeral = (at: string) => ref('ephemeral.yml', at);

describe('deploy role trust (docs/deploy-role-trust-policy.json)', () => {
  it('is one statement for GitHub\'s OIDC provider, audience sts.amazonaws.com', () => {
    expect(trust.Statement).to.have.length(1);
    expect(statement).to.include({ Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity' });
    expect(statement?.Principal.Federated).to.equal('arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com');
    expect(statement?.Condition.StringEquals).to.deep.equal({ 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' });
  });

  // Wildcards only where a feature branch's name goes, the pull request's number, or the environment's slug.
  const PINNED =
    /^repo:OWNER\/REPO:(environment:feat-\*|ref:(refs\/heads\/(main|feat\/\*|feat-\*))|pull_request):job_workflow_ref:OWNER\/REPO\/\.github\/workflows\/ephemeral\.yml@(refs\/heads\/(main|feat\/\*|feat-\*)|refs\/pull\/\*\/merge)$/;
  it('pins every subject to this repository\'s ephemeral workflow, with wildcards only in a feature branch\'s name', () => {
    for (const pattern of subjects) {
      const shape = PINNED.exec(pattern);
      expect(shape, pattern).to.not.equal(null);
      // A ref subject runs the workflow of that same ref.
      if (shape?.[2]) expect(shape[4], pattern).to.equal(shape[2]);
    }
  });

  // The branches the push filter takes, one sample per glob (`**` also across a slash).
  const featureBranches = workflow.on.push.branches.flatMap((glob) => (glob.includes('**') ? [glob.replace('**', 'login'), glob.replace('**', 'team/login')] : [glob.replace('*', 'login')]));
  const credentialed = Object.entries(workflow.jobs).filter(([, job]) => job.steps?.some((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@')));
  /** The subject GitHub gives the job (subject customization: repo, context, job_workflow_ref). */
  const subjectOf = (job: string, event: string, at: string) => {
    const context = workflow.jobs[job]?.environment ? `environment:${slugEnvName(at.replace('refs/heads/', ''))}` : event === 'pull_request' ? 'pull_request' : `ref:${at}`;
    return `repo:OWNER/REPO:${context}:${ephemeral(at)}`;
  };

  // Which job an event reaches is the route job's decision (the script in ephemeral.yml).
  const runs: [event: string, what: string, job: string, at: string][] = [
    ...featureBranches.flatMap((branch): [string, string, string, string][] => [
      ['push', `provision ${branch}`, 'provision', `refs/heads/${branch}`],
      ['workflow_dispatch', `provision from ${branch}`, 'provision', `refs/heads/${branch}`],
      ['workflow_dispatch', `tear down from ${branch}`, 'teardown', `refs/heads/${branch}`],
    ]),
    ['delete', 'tear down a deleted branch (runs on the default branch)', 'teardown', 'refs/heads/main'],
    ['schedule', 'sweep expired environments (runs on the default branch)', 'teardown', 'refs/heads/main'],
    ['pull_request', 'tear down when a pull request closes', 'teardown', 'refs/pull/42/merge'],
  ];

  it('covers every event the workflow runs on, and every job that assumes the role', () => {
    expect(featureBranches).to.include.members(['feat/login', 'feat/team/login', 'feat-login']);
    expect(Object.keys(workflow.on).sort()).to.deep.equal([...new Set(runs.map(([event]) => event))].sort());
    expect(credentialed.map(([name]) => name).sort()).to.deep.equal([...new Set(runs.map(([, , job]) => job))].sort());
    expect(workflow.jobs['provision']?.environment, 'the provision job runs in the environment the trust names').to.not.equal(undefined);
  });

  for (const [event, what, job, at] of runs) {
    it(`admits the workflow's own job: ${what}`, () => {
      const sub = subjectOf(job, event, at);
      expect(admitted(sub), sub).to.equal(true);
    });
  }

  const outsiders: [string, string][] = [
    ['another workflow of the repository, in a feature environment', `repo:OWNER/REPO:environment:feat-login:${ref('ci.yml', 'refs/heads/feat/login')}`],
    ['another workflow of the repository, on the default branch', `repo:OWNER/REPO:ref:refs/heads/main:${ref('release.yml', 'refs/heads/main')}`],
    ['a reusable workflow of another repository called from here', `repo:OWNER/REPO:ref:refs/heads/main:${ref('ephemeral.yml', 'refs/heads/main', 'someone/else')}`],
    ['the ephemeral workflow of another repository', `repo:someone/else:environment:feat-login:${ref('ephemeral.yml', 'refs/heads/feat/login', 'someone/else')}`],
    ['a job in the environment main', `repo:OWNER/REPO:environment:main:${ephemeral('refs/heads/main')}`],
    ['a branch that is not a feature branch', `repo:OWNER/REPO:ref:refs/heads/release:${ephemeral('refs/heads/release')}`],
    ['a branch that only starts with feat (feather)', `repo:OWNER/REPO:ref:refs/heads/feather:${ephemeral('refs/heads/feather')}`],
    ['a feat-named environment job of a branch feature-x', `repo:OWNER/REPO:environment:feat-x:${ephemeral('refs/heads/feature-x')}`],
    ['a feat-named environment job of a branch feather', `repo:OWNER/REPO:environment:feat-her:${ephemeral('refs/heads/feather')}`],
    ['a tag', `repo:OWNER/REPO:ref:refs/tags/v1.0.0:${ephemeral('refs/tags/v1.0.0')}`],
    ['the default subject, without job_workflow_ref', 'repo:OWNER/REPO:environment:feat-login'],
  ];
  for (const [what, sub] of outsiders) {
    it(`refuses ${what}`, () => {
      expect(admitted(sub), sub).to.equal(false);
    });
  }

  it('is what the setup guide creates the role with', () => {
    const setup = readFileSync(`${root}docs/aws-setup.md`, 'utf8');
    expect(setup).to.include('[`docs/deploy-role-trust-policy.json`](deploy-role-trust-policy.json)');
    expect(setup).to.include("'include_claim_keys[]=repo' -f 'include_claim_keys[]=context' -f 'include_claim_keys[]=job_workflow_ref'");
  });
});
