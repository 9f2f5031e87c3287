// How long provision may take, and what the CI job that runs it must allow: defined once.
// The boot waits read their limits here, provision prints the total, and
// tests/github/time-budget.test.ts holds .github/workflows/ephemeral.yml (timeout-minutes,
// role-duration-seconds) and the deploy role's session limit (docs/aws-setup.md) to it.
import { deployBudgetSeconds, DEFAULT_HEALTH_TIMEOUT_SECONDS } from '../deploy/plan.js';

/**
 * Minutes each step of the boot wait may take. Measured against a first boot in unlimited
 * CPU-credit mode: running in under a minute, the agent a minute later, cloud-init (docker,
 * plugins, the source archive) a few minutes, the stack (image pulls, the app build,
 * Elasticsearch and Kibana starting) 10–15 minutes. Reading which mode the edge serves is one
 * SSM command of at most a minute, and a minute for SSM to report it.
 */
export const BOOT_STEPS_MIN = { running: 4, agent: 5, cloudInit: 8, stack: 20, ready: 3, edge: 2 } as const;

/**
 * The SSM agent and cloud-init share one window: an agent whose role was refused while it
 * propagated sleeps 25-30 min (amazon-ssm-agent core/app/credentialrefresher), beyond any
 * budget, so the bootstrap restarts it at its end and the agent may come online only then.
 */
export const AGENT_AND_CLOUD_INIT_MIN = BOOT_STEPS_MIN.agent + BOOT_STEPS_MIN.cloudInit;

export const BOOT_WAIT_MIN = Object.values(BOOT_STEPS_MIN).reduce((sum, min) => sum + min, 0);

/** Before the boot wait: preflight, the resources, the instance policy settling, up to 2 minutes of IAM propagation retries. */
export const LAUNCH_MIN = 5;

/** The longest `npm run provision` runs. */
export const PROVISION_MIN = LAUNCH_MIN + BOOT_WAIT_MIN;

/** Checkout, Node and `npm ci` on a GitHub runner before the CLI starts. */
export const CI_SETUP_MIN = 5;

/**
 * The longest `npm run deploy` runs as CI runs it, in whole minutes: the default health
 * timeout, and --no-backup (a feature environment's data is throwaway).
 */
export const DEPLOY_MIN = Math.ceil(deployBudgetSeconds(DEFAULT_HEALTH_TIMEOUT_SECONDS, { backup: false }) / 60);

/** The provision job runs provision, then `npm run deploy` when it kept a box: both can take their longest. */
export const CI_PROVISION_JOB_MIN = CI_SETUP_MIN + PROVISION_MIN + DEPLOY_MIN;

/** The job's AWS credentials must outlive it: the OIDC session is asked for this much longer. */
export const SESSION_MARGIN_MIN = 5;

/** role-duration-seconds of both jobs; the deploy role's MaxSessionDuration must allow it. */
export const CI_SESSION_SECONDS = (CI_PROVISION_JOB_MIN + SESSION_MARGIN_MIN) * 60;

const STEP_LABELS: Record<keyof typeof BOOT_STEPS_MIN, string> = {
  running: 'running',
  agent: 'SSM agent',
  cloudInit: 'cloud-init',
  stack: 'services healthy',
  ready: '/readyz',
  edge: 'the edge',
};

/** `47 min: 5 to launch, 42 to boot (running 4, SSM agent 5, cloud-init 8, services healthy 20, /readyz 3, the edge 2)` */
export function budgetText(): string {
  const steps = (Object.keys(BOOT_STEPS_MIN) as (keyof typeof BOOT_STEPS_MIN)[]).map((k) => `${STEP_LABELS[k]} ${BOOT_STEPS_MIN[k]}`);
  return `${PROVISION_MIN} min: ${LAUNCH_MIN} to launch, ${BOOT_WAIT_MIN} to boot (${steps.join(', ')})`;
}
