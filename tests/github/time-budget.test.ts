// One time budget: provision's waits, the CI job that runs provision (and deploy), and the
// OIDC session that job runs under, all from scripts/lib/provision/budget.ts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { deployBudgetSeconds, DEFAULT_HEALTH_TIMEOUT_SECONDS } from '../../scripts/lib/deploy/plan.js';
import {
  BOOT_STEPS_MIN,
  BOOT_WAIT_MIN,
  CI_PROVISION_JOB_MIN,
  CI_SESSION_SECONDS,
  CI_SETUP_MIN,
  DEPLOY_MIN,
  LAUNCH_MIN,
  PROVISION_MIN,
  SESSION_MARGIN_MIN,
} from '../../scripts/lib/provision/budget.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  'timeout-minutes'?: number;
}
interface Job {
  'timeout-minutes'?: number;
  steps: Step[];
}
const workflow = parse(readFileSync(`${root}.github/workflows/ephemeral.yml`, 'utf8')) as { jobs: Record<string, Job> };
const { provision: provisionJob, teardown: teardownJob } = workflow.jobs as { provision: Job; teardown: Job };
const stepRunning = (job: Job, command: string): Step | undefined => job.steps.find((s) => s.run?.includes(command));
const sessionOf = (job: Job): unknown => job.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))?.with?.['role-duration-seconds'];

/** The deploy role's MaxSessionDuration as docs/aws-setup.md creates it. */
const roleMaxSession = Number(/--max-session-duration (\d+)/.exec(readFileSync(`${root}docs/aws-setup.md`, 'utf8'))?.[1]);

describe('the time budget', () => {
  it('adds up: provision is the launch plus every boot step', () => {
    expect(BOOT_WAIT_MIN).to.equal(Object.values(BOOT_STEPS_MIN).reduce((a, b) => a + b, 0));
    expect(PROVISION_MIN).to.equal(LAUNCH_MIN + BOOT_WAIT_MIN);
    expect(DEPLOY_MIN * 60).to.be.at.least(deployBudgetSeconds(DEFAULT_HEALTH_TIMEOUT_SECONDS, { backup: false }));
    expect(CI_PROVISION_JOB_MIN).to.equal(CI_SETUP_MIN + PROVISION_MIN + DEPLOY_MIN);
  });

  it('bounds each CLI step of the provision job by its own budget', () => {
    expect(stepRunning(provisionJob, 'npm run --silent provision')?.['timeout-minutes']).to.equal(PROVISION_MIN);
    expect(stepRunning(provisionJob, 'npm run deploy')?.['timeout-minutes']).to.equal(DEPLOY_MIN);
  });

  it('deploys without the pre-migration backup, which the deploy budget leaves out', () => {
    expect(stepRunning(provisionJob, 'npm run deploy')?.run).to.include('--no-backup');
    expect(deployBudgetSeconds(DEFAULT_HEALTH_TIMEOUT_SECONDS, { backup: true })).to.be.above(DEPLOY_MIN * 60);
  });

  it('gives the provision job its set-up, provision and a deploy of a kept box', () => {
    expect(provisionJob['timeout-minutes']).to.equal(CI_PROVISION_JOB_MIN);
  });

  it('asks for AWS credentials that outlive each job', () => {
    expect(sessionOf(provisionJob)).to.equal(CI_SESSION_SECONDS);
    expect(CI_SESSION_SECONDS).to.equal((CI_PROVISION_JOB_MIN + SESSION_MARGIN_MIN) * 60);
    expect(sessionOf(teardownJob)).to.equal(CI_SESSION_SECONDS);
    expect((teardownJob['timeout-minutes'] ?? Infinity) * 60).to.be.below(CI_SESSION_SECONDS);
  });

  it('stays within the session the deploy role allows', () => {
    expect(roleMaxSession, 'docs/aws-setup.md --max-session-duration').to.be.within(3600, 43_200);
    expect(CI_SESSION_SECONDS).to.be.at.most(roleMaxSession);
  });
});
