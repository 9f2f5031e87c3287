// Runs the deploy plan on the box with progress, and rolls back on any failure.

import type { ShippedSource } from '../aws/source-object.js';
import { STACK_UNIT } from '../box/layout.js';
import { runWithFullOutput, type RemoteResult, type RemoteRunner } from '../box/ssm-output.js';
import { errorSummary, OperatorError } from '../core/operator-error.js';
import type { Progress } from '../core/progress.js';
import {
  appLogsCommand,
  buildCommand,
  BUILT_APP_IMAGE,
  canaryLogsCommand,
  canaryReadyCommand,
  checkoutCommand,
  fetchCommand,
  observeCommand,
  parseObserved,
  removeCanaryCommand,
  ROLLBACK_TAG,
  startCanaryCommand,
  STEP_TIMEOUTS,
  swapCommand,
  tagCommand,
  type Observed,
} from './plan.js';

export interface DeployDeps {
  run: RemoteRunner;
  progress: Pick<Progress, 'step' | 'note'>;
  /** Hex ids for output files on the box. */
  newId: () => string;
  /** Runs once the box is known to change, before anything does (a backup when the deploy migrates). */
  beforeChange?: (fromCommit: string) => Promise<void>;
  /** Records the commit the box now serves (its GitSha tag, which `npm run status` shows). */
  recordCommit: (sha: string) => Promise<void>;
}

export interface DeployRequest {
  /** The commit's archive, already in the project bucket. */
  source: ShippedSource;
  /** Seconds the new app may take to become ready (canary) and healthy (swap). */
  healthTimeoutSeconds: number;
}

export type DeployResult = { status: 'unchanged'; commit: string } | { status: 'deployed'; from: string; to: string; previousImage: string };

const short = (sha: string): string => sha.slice(0, 7);
const lastLines = (text: string, n = 20): string => text.trim().split('\n').slice(-n).join('\n');

/** Runs a command and throws with its last stderr lines when it fails. */
async function must(run: RemoteRunner, argv: readonly string[], timeoutSeconds: number, what: string): Promise<RemoteResult> {
  const result = await run(argv, { timeoutSeconds });
  if (result.exitCode !== 0) throw new StepFailed(what, lastLines(result.stderr || result.stdout));
  return result;
}

class StepFailed extends Error {
  constructor(
    readonly what: string,
    readonly output: string,
  ) {
    super(`${what} failed`);
  }
}

export async function deployApp(deps: DeployDeps, request: DeployRequest): Promise<DeployResult> {
  const { sha } = request.source;
  const result = await swapApp(deps, request);
  // After the box changed, and on "unchanged" too: a tag write that failed last time converges.
  try {
    await deps.progress.step(`Record ${short(sha)} as the deployed commit`, () => deps.recordCommit(sha));
  } catch (err) {
    throw new OperatorError(
      `The box serves ${short(sha)}, but its GitSha tag could not be updated (${errorSummary(err)}); \`npm run status\` shows the old commit.`,
      'Run the same deploy again: it finds the commit in place and retries the tag.',
    );
  }
  return result;
}

async function swapApp({ run, progress, newId, beforeChange }: DeployDeps, { source, healthTimeoutSeconds }: DeployRequest): Promise<DeployResult> {
  const { sha } = source;
  const before = await progress.step('Read what the box runs', async () => {
    const result = await run(observeCommand(), { timeoutSeconds: STEP_TIMEOUTS.quick });
    if (result.exitCode === 3) {
      throw new OperatorError('The app container does not exist on the box, so there is nothing to replace.', `Start the stack first: \`npm run session\`, then \`sudo systemctl restart ${STACK_UNIT}\`; \`npm run logs\` shows why it is down.`);
    }
    if (result.exitCode !== 0) throw new OperatorError(`Could not read the box's state: ${lastLines(result.stderr, 1)}`, 'Check the box with `npm run status`.');
    return parseObserved(result.stdout);
  });
  if (before.imageName !== BUILT_APP_IMAGE) {
    throw new OperatorError(
      `The box runs the prebuilt image ${before.imageName}, and deploy builds the app from source on the box.`,
      'Provision again with the new image (`npm run provision -- --replace --app-image <image>`).',
    );
  }
  if (before.commit === sha) {
    progress.note(`The box already runs ${short(sha)}; nothing to deploy.`);
    return { status: 'unchanged', commit: sha };
  }

  await beforeChange?.(before.commit);
  try {
    await progress.step(`Fetch ${short(sha)} on the box`, () => must(run, fetchCommand(source), STEP_TIMEOUTS.fetch, 'fetching the source archive'));
  } catch (err) {
    throw explain(err, `The box could not fetch the source archive of ${short(sha)}.`, 'A box provisioned before source archives existed cannot: `npm run provision -- --replace`. Otherwise check its instance role (`npm run provision` rewrites it).');
  }

  // From here on the box is changed; every failure restores the previous commit and image.
  const restore = async (): Promise<string[]> => restorePrevious(run, before);
  try {
    await progress.step(`Keep the running image as ${ROLLBACK_TAG}`, () => must(run, tagCommand(before.imageId, ROLLBACK_TAG), STEP_TIMEOUTS.quick, 'docker image tag'));
    await progress.step(`Activate ${short(sha)}`, () => must(run, checkoutCommand(sha), STEP_TIMEOUTS.quick, 'activating the release'));
    await progress.step('Build the app image', () => must(run, buildCommand(), STEP_TIMEOUTS.build, 'docker compose build'));
  } catch (err) {
    const problems = await restore();
    throw explain(err, `Deploy of ${short(sha)} stopped before the app was touched; ${short(before.commit)} keeps serving.${rollbackNote(problems)}`, 'Fix the build (try `npm run build` locally) and deploy again.');
  }

  try {
    await progress.step('Start the new version as a canary and wait for /readyz', async () => {
      await must(run, removeCanaryCommand(), STEP_TIMEOUTS.quick, 'removing an old canary');
      await must(run, startCanaryCommand(), STEP_TIMEOUTS.canary, 'starting the canary');
      await must(run, canaryReadyCommand(healthTimeoutSeconds), healthTimeoutSeconds + STEP_TIMEOUTS.quick, 'the canary readiness check');
    });
  } catch (err) {
    const logs = await logsOf(run, canaryLogsCommand(), newId());
    await run(removeCanaryCommand(), { timeoutSeconds: STEP_TIMEOUTS.quick });
    const problems = await restore();
    throw explain(
      err,
      `The new version (${short(sha)}) never became ready; ${short(before.commit)} kept serving throughout.${rollbackNote(problems)}\n--- last lines of the canary's logs ---\n${logs}`,
      'Fix what the logs show, then deploy again; `npm run logs app` shows the serving version.',
    );
  }
  await run(removeCanaryCommand(), { timeoutSeconds: STEP_TIMEOUTS.quick });

  try {
    await progress.step('Replace the app (old one drains, new one must turn healthy)', () => must(run, swapCommand(healthTimeoutSeconds), healthTimeoutSeconds + STEP_TIMEOUTS.quick, 'docker compose up'));
  } catch (err) {
    const logs = await logsOf(run, appLogsCommand(), newId());
    const problems = await restore();
    const back = await run(swapCommand(healthTimeoutSeconds), { timeoutSeconds: healthTimeoutSeconds + STEP_TIMEOUTS.quick });
    const state = back.exitCode === 0 ? `${short(before.commit)} is serving again` : `AND the rollback to ${short(before.commit)} did not turn healthy either: the app is DOWN`;
    throw explain(
      err,
      `The new version (${short(sha)}) did not turn healthy after the swap; ${state}.${rollbackNote(problems)}\n--- last lines of the app's logs ---\n${logs}`,
      back.exitCode === 0 ? 'Fix what the logs show, then deploy again.' : `Open a shell (\`npm run session\`) and run \`sudo systemctl restart ${STACK_UNIT}\`; see docs/runbook.md "App unhealthy".`,
    );
  }
  return { status: 'deployed', from: before.commit, to: sha, previousImage: before.imageId };
}

/** Puts the previous image back under the service's name and the previous release in place. */
async function restorePrevious(run: RemoteRunner, before: Observed): Promise<string[]> {
  const problems: string[] = [];
  for (const argv of [tagCommand(before.imageId, before.imageName), checkoutCommand(before.commit)]) {
    const result = await run(argv, { timeoutSeconds: STEP_TIMEOUTS.quick });
    if (result.exitCode !== 0) problems.push(`${argv.slice(0, 3).join(' ')}: ${lastLines(result.stderr, 1)}`);
  }
  return problems;
}

const rollbackNote = (problems: string[]): string => (problems.length ? ` Restoring the previous state also failed (${problems.join('; ')}).` : '');

async function logsOf(run: RemoteRunner, argv: string[], id: string): Promise<string> {
  try {
    const out = await runWithFullOutput(run, argv, { id, timeoutSeconds: STEP_TIMEOUTS.quick });
    return lastLines(out.stdout + out.stderr, 40) || '(no output)';
  } catch (err) {
    return `(could not read them: ${(err as Error).message})`;
  }
}

function explain(err: unknown, message: string, hint: string): Error {
  if (err instanceof StepFailed) return new OperatorError(`${message}\n--- ${err.what} said ---\n${err.output || '(nothing)'}`, hint);
  return err instanceof Error ? err : new Error(String(err));
}
