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

const root = fileURLToPath(new URL('../../', import.meta.url));
const trust = JSON.parse(readFileSync(`${root}docs/deploy-role-trust-policy.json`, 'utf8')) as {
  Statement: { Effect: string; Action: string; Principal: { Federated: string }; Condition: Record<string, Record<string, string | string[]>> }[];
};
const workflow = parse(readFileSync(`${root}.github/workflows/ephemeral.yml`, 'utf8')) as { on: Record<string, unknown> };

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

  it('pins every subject to this repository\'s ephemeral workflow', () => {
    for (const pattern of subjects) expect(pattern).to.match(/^repo:OWNER\/REPO:[^*]*.*:job_workflow_ref:OWNER\/REPO\/\.github\/workflows\/ephemeral\.yml@refs\//);
  });

  // The events ephemeral.yml runs on, each with the subject its job that asks for credentials gets.
  const jobs: [string, string, string][] = [
    ['push', 'provision feat/login', `repo:OWNER/REPO:environment:feat-login:${ephemeral('refs/heads/feat/login')}`],
    ['push', 'provision feat-login', `repo:OWNER/REPO:environment:feat-login:${ephemeral('refs/heads/feat-login')}`],
    ['workflow_dispatch', 'provision from a feature branch', `repo:OWNER/REPO:environment:feat-login:${ephemeral('refs/heads/feat/login')}`],
    ['workflow_dispatch', 'tear down from a feature branch', `repo:OWNER/REPO:ref:refs/heads/feat/login:${ephemeral('refs/heads/feat/login')}`],
    ['workflow_dispatch', 'tear down from a feat- branch', `repo:OWNER/REPO:ref:refs/heads/feat-login:${ephemeral('refs/heads/feat-login')}`],
    ['delete', 'tear down a deleted branch (runs on the default branch)', `repo:OWNER/REPO:ref:refs/heads/main:${ephemeral('refs/heads/main')}`],
    ['schedule', 'sweep expired environments (runs on the default branch)', `repo:OWNER/REPO:ref:refs/heads/main:${ephemeral('refs/heads/main')}`],
    ['pull_request', 'tear down when a pull request closes', `repo:OWNER/REPO:pull_request:${ephemeral('refs/pull/42/merge')}`],
  ];

  it('covers every event the workflow runs on', () => {
    expect(Object.keys(workflow.on).sort()).to.deep.equal([...new Set(jobs.map(([event]) => event))].sort());
  });

  for (const [, what, sub] of jobs) {
    it(`admits the workflow's own job: ${what}`, () => {
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
