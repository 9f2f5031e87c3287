// Runs the deploy plan on the box with progress, and rolls back on any failure.

import type { ShippedSource } from '../aws/source-object.js';
import { FETCH_SECRETS_BIN, SETTINGS_ENV, STACK_UNIT } from '../box/layout.js';
import { runWithFullOutput, type RemoteRunner } from '../box/ssm-output.js';
import { errorSummary, OperatorError } from '../core/operator-error.js';
import type { Progress } from '../core/progress.js';
import { phaseOf, recoveryFor, swapPlan, type AppColor } from './blue-green.js';
import { appLogsCommand, buildCommand, BUILT_APP_IMAGE, checkoutCommand, deployBudgetSeconds, fetchCommand, keepRollbackCommand, observeCommand, parseObserved, rangeSetCommand, ROLLBACK_TAG, STEP_TIMEOUTS, tagCommand, type Observed } from './plan.js';
import { changedInputsCommand, infrastructureSteps, needsModels, parseChangedInputs, parseReleaseModels, planInfrastructure, recordAppliedCommand, releaseModelsCommand, type ModelChange } from './infrastructure.js';
import { lastLines, must, StepFailed } from './remote-step.js';
import { PAUSE_NOTE, pauseAlertsCommand, resumeAlertsCommand, resumeFailedNote } from './alerts-pause.js';
import { routedColor, runSwap, SwapStepFailed } from './swap.js';
import { secretPresentCommand, smokeProblem, WRITE_PASSWORD_ENTRY, writeSmokeCommand } from './write-password-checks.js';

export interface DeployDeps {
  run: RemoteRunner;
  progress: Pick<Progress, 'step' | 'note'>;
  /** Hex ids for output files on the box. */
  newId: () => string;
  /** Runs once the box is known to change, before anything does (a backup when the deploy migrates). */
  beforeChange?: (fromCommit: string) => Promise<void>;
  /** Changes the secrets in Parameter Store (deploy --write-password), after every read-only check and the backup. */
  changeSecrets?: () => Promise<void>;
  /** Records the commit the box now serves (its GitSha tag, which `npm run status` shows). */
  recordCommit: (sha: string) => Promise<void>;
}

export interface DeployRequest {
  /** The commit's archive, already in the project bucket. */
  source: ShippedSource;
  /** Seconds each app color may take to answer /readyz during the swap. */
  healthTimeoutSeconds: number;
  /**
   * Re-read the secrets from Parameter Store on the box first, and swap even when the commit is unchanged: the app
   * reads its write passwords once at start, so a new one reaches it through a swap (docs/write-credential.md).
   */
  reloadSecrets?: boolean;
  /**
   * The commit's compose.yaml requires WRITE_PASSWORD: the box's secrets.env must have it before the release switches,
   * and after the swap a write through the edge must get past the app's password check.
   */
  writePasswordRequired?: boolean;
}

export type DeployResult =
  | { status: 'unchanged'; commit: string }
  | { status: 'secrets-reloaded'; commit: string }
  | { status: 'deployed'; from: string; to: string; previousImage: string };

const short = (sha: string): string => sha.slice(0, 7);

export async function deployApp(deps: DeployDeps, request: DeployRequest): Promise<DeployResult> {
  const result = await swapApp(deps, request);
  // After the box changed, and on "unchanged" too: a tag write that failed last time converges.
  await recordServed(deps, request.source.sha, 'Run the same deploy again: it finds the commit in place and retries the tag.');
  // Once the new app serves and is recorded, and on "unchanged" too: compared with the release last applied, so an
  // apply that failed is retried. A failure here leaves the app deployed and says how to finish.
  await applyInfrastructure(deps, result.status === 'deployed' ? result.from : result.commit, request.source.sha);
  return result;
}

/** Tags the instance with the commit it now serves; `retry` says how to converge when the tag write fails. */
export async function recordServed({ progress, recordCommit }: Pick<DeployDeps, 'progress' | 'recordCommit'>, sha: string, retry: string): Promise<void> {
  try {
    await progress.step(`Record ${short(sha)} as the deployed commit`, () => recordCommit(sha));
  } catch (err) {
    throw new OperatorError(`The box serves ${short(sha)}, but its GitSha tag could not be updated (${errorSummary(err)}); \`npm run status\` shows the old commit.`, retry);
  }
}

/** What the app container runs: the release's commit and its image. */
export async function readServing(run: RemoteRunner, progress: DeployDeps['progress']): Promise<Observed> {
  return progress.step('Read what the box runs', async () => {
    const result = await run(observeCommand(), { timeoutSeconds: STEP_TIMEOUTS.quick });
    if (result.exitCode === 3) {
      throw new OperatorError('The app container does not exist on the box, so there is nothing to replace.', `Start the stack first: \`npm run session\`, then \`sudo systemctl restart ${STACK_UNIT}\`; \`npm run logs\` shows why it is down.`);
    }
    if (result.exitCode !== 0) throw new OperatorError(`Could not read the box's state: ${lastLines(result.stderr, 1)}`, 'Check the box with `npm run status`.');
    return parseObserved(result.stdout);
  });
}

/** Refuses, before the box changes, a box whose settings lack the allowed range: the new release's edge would not start. */
async function requireRange(run: RemoteRunner, progress: DeployDeps['progress']): Promise<void> {
  const result = await progress.step("Check the box's settings carry the allowed range", () => run(rangeSetCommand(), { timeoutSeconds: STEP_TIMEOUTS.quick }));
  if (result.exitCode === 0) return;
  throw new OperatorError(
    `The box's settings (${SETTINGS_ENV}) have no PILLBOX_ALLOWED_CIDR, which the edge needs: nothing was deployed.`,
    'Run `npm run provision` once (it writes the range on the box and reloads its edge), then deploy again.',
  );
}

/** Where the edge sends traffic now, which picks the swap plan. */
export async function readRoute(run: RemoteRunner, progress: DeployDeps['progress']): Promise<AppColor> {
  return progress.step('Read where the edge sends traffic', () =>
    routedColor(run, STEP_TIMEOUTS.quick).catch((err: unknown) => {
      throw new OperatorError(`The edge (caddy) did not answer on the box: ${err instanceof StepFailed ? err.output : errorSummary(err)}`, 'Check the box with `npm run status`; `npm run logs caddy` shows why it is down.');
    }),
  );
}

/** Rewrites the box's secrets.env from Parameter Store (cloud-init/fetch-secrets.sh); no secret travels in the command. */
export const fetchSecretsCommand = (): string[] => [FETCH_SECRETS_BIN];

async function fetchSecrets(run: RemoteRunner, progress: DeployDeps['progress']): Promise<void> {
  await progress.step('Fetch the secrets from Parameter Store on the box', () => must(run, fetchSecretsCommand(), STEP_TIMEOUTS.quick, 'fetching the secrets'));
}

async function swapApp(deps: DeployDeps, request: DeployRequest): Promise<DeployResult> {
  const { run, progress, newId, beforeChange, changeSecrets } = deps;
  const { source, healthTimeoutSeconds, reloadSecrets = false, writePasswordRequired = false } = request;
  const { sha } = source;
  const before = await readServing(run, progress);
  const sameCommit = before.commit === sha;
  // A prebuilt image cannot be rebuilt here, but the same one can be recreated with new secrets.
  if (before.imageName !== BUILT_APP_IMAGE && !(sameCommit && reloadSecrets)) {
    throw new OperatorError(
      `The box runs the prebuilt image ${before.imageName}, and deploy builds the app from source on the box.`,
      `Provision again with the new image (\`npm run provision -- --replace --app-image <image>\`). A write password change works on the commit the box runs (no --ref, or --ref ${short(before.commit)}).`,
    );
  }
  if (sameCommit && !reloadSecrets) {
    progress.note(`The box already runs ${short(sha)}; nothing to deploy.`);
    return { status: 'unchanged', commit: sha };
  }

  await requireRange(run, progress);
  const routed = await readRoute(run, progress);
  if (writePasswordRequired) await requireWritePasswordOnBox(run, progress);

  // Read-only checks are done: the backup (when the deploy migrates), then the secrets' change, before the box changes.
  if (!sameCommit) await beforeChange?.(before.commit);
  await changeSecrets?.();
  if (sameCommit) {
    // The same image and release, recreated with the secrets now on the box.
    await switchApp(
      { run, progress, newId },
      { before, routed, sha, label: 'The app with the new secrets', healthTimeoutSeconds },
      { steps: () => fetchSecrets(run, progress), hint: 'Check the box with `npm run status`, then run `npm run deploy -- --write-password reload`.' },
    );
    if (writePasswordRequired) await checkWritePassword(run, progress, sha);
    return { status: 'secrets-reloaded', commit: sha };
  }

  try {
    await progress.step(`Fetch ${short(sha)} on the box`, () => must(run, fetchCommand(source), STEP_TIMEOUTS.fetch, 'fetching the source archive'));
  } catch (err) {
    throw explain(err, `The box could not fetch the source archive of ${short(sha)}.`, 'A box provisioned before source archives existed cannot: `npm run provision -- --replace`. Otherwise check its instance role (`npm run provision` rewrites it).');
  }

  await switchApp(
    { run, progress, newId },
    { before, routed, sha, label: 'The new version', healthTimeoutSeconds },
    {
      steps: async () => {
        if (reloadSecrets) await fetchSecrets(run, progress);
        await progress.step(`Keep the running image as ${ROLLBACK_TAG}`, () => must(run, keepRollbackCommand(before.imageId, before.commit), STEP_TIMEOUTS.quick, 'docker image tag'));
        await progress.step(`Activate ${short(sha)}`, () => must(run, checkoutCommand(sha), STEP_TIMEOUTS.quick, 'activating the release'));
        await progress.step('Build the app image', () => must(run, buildCommand(), STEP_TIMEOUTS.build, 'docker compose build'));
      },
      hint: 'Fix the build (try `npm run build` locally) and deploy again.',
    },
  );
  if (writePasswordRequired) await checkWritePassword(run, progress, sha);
  return { status: 'deployed', from: before.commit, to: sha, previousImage: before.imageId };
}

/**
 * A commit whose compose.yaml requires WRITE_PASSWORD would stop at compose's interpolation on a box whose
 * secrets.env lacks it (provisioned before the write password existed). The box fetches its secrets once more
 * (a later provision may have created the parameter); still missing, the deploy stops before anything changed.
 */
async function requireWritePasswordOnBox(run: RemoteRunner, progress: DeployDeps['progress']): Promise<void> {
  const result = await progress.step(`Check the box's secrets hold ${WRITE_PASSWORD_ENTRY}`, () => run(secretPresentCommand(), { timeoutSeconds: STEP_TIMEOUTS.quick }));
  if (result.exitCode !== 0) {
    throw new OperatorError(
      `The box has no ${WRITE_PASSWORD_ENTRY} in its secrets, which this commit needs (it was provisioned before writes needed a password): ${lastLines(result.stderr, 1) || 'no output'}. Nothing was changed.`,
      'Create the missing secret with `npm run provision -- --env <env>` (it keeps the existing ones), then `npm run deploy -- --write-password reload`.',
    );
  }
  if (result.stdout.trim() === 'fetched') progress.note(`The box fetched its secrets again and now holds ${WRITE_PASSWORD_ENTRY}.`);
}

/** After the swap: a write through the edge with the box's own password must pass the app's check (422 for `{}`). */
async function checkWritePassword(run: RemoteRunner, progress: DeployDeps['progress'], sha: string): Promise<void> {
  const result = await progress.step('Check a write through the edge takes the write password', () => run(writeSmokeCommand(), { timeoutSeconds: STEP_TIMEOUTS.quick }));
  const problem = result.exitCode !== 0 ? `the write check could not run: ${lastLines(result.stderr, 1) || 'no output'}` : smokeProblem(result.stdout.trim());
  if (problem) {
    throw new OperatorError(
      `${short(sha)} serves, but ${problem}.`,
      'Run `npm run deploy -- --write-password reload` to bring the stored passwords to the app; if it repeats, see docs/runbook.md "Writes refused".',
    );
  }
}

/**
 * The infrastructure services whose configuration changed since the release last applied (`fallback` when none is
 * recorded) up to `to`, applied once the new app serves (infrastructure.ts); `to` is recorded once all of it is.
 */
export async function applyInfrastructure({ run, progress }: Pick<DeployDeps, 'run' | 'progress'>, fallback: string, to: string): Promise<void> {
  const failed = (what: string, err: unknown) =>
    explain(
      err,
      `${short(to)} serves, but its infrastructure changes were not all applied (${what}).`,
      'Run the same deploy again: it compares with the release last applied and retries them; `npm run logs` shows what failed.',
    );
  const read = async <T>(what: string, argv: string[], parse: (stdout: string) => T): Promise<T> => {
    try {
      return parse((await must(run, argv, STEP_TIMEOUTS.quick, what)).stdout);
    } catch (err) {
      throw failed(what, err);
    }
  };
  const { from, paths } = await read('comparing the releases', changedInputsCommand(fallback, to), parseChangedInputs);
  let models: ModelChange | undefined;
  if (needsModels(paths)) {
    const now = await read(`reading the edge and database settings of ${short(to)}`, releaseModelsCommand(to), parseReleaseModels);
    if (!now) throw failed(`reading the edge and database settings of ${short(to)}`, new StepFailed('the release check', `release ${to} is not on the box`));
    models = { from: await read(`reading the edge and database settings of ${short(from)}`, releaseModelsCommand(from), parseReleaseModels), to: now };
  }
  const plan = planInfrastructure(paths, models);
  const steps = infrastructureSteps(plan);
  if (steps.length === 0 && plan.notes.length === 0 && from === to) return;
  if (steps.length === 0) progress.note('No infrastructure configuration to apply; only the app was replaced.');
  for (const s of steps) {
    try {
      await progress.step(s.what, () => must(run, s.argv, s.seconds, s.what));
    } catch (err) {
      throw failed(s.what, err);
    }
  }
  for (const line of plan.notes) progress.note(line);
  await read('recording the applied release', recordAppliedCommand(to), () => undefined);
}

export interface Switch {
  /** What the box serves now, and where the edge sends traffic. */
  before: Observed;
  routed: AppColor;
  /** The commit that is to serve. */
  sha: string;
  /** Names that commit in messages ("The new version"). */
  label: string;
  healthTimeoutSeconds: number;
}

/**
 * Puts `sha` in place and swaps it into app: `prepare.steps` tag its image under the service's name and activate its
 * release; the blue/green swap follows. From the first prepare step on, every failure restores the previous image
 * and release (and, mid-swap, brings them back into app), then throws one OperatorError. The alert engine is
 * stopped for the whole of it and started again however it ends (alerts-pause.ts).
 */
export async function switchApp(deps: Pick<DeployDeps, 'run' | 'progress' | 'newId'>, change: Switch, prepare: { steps: () => Promise<void>; hint: string }): Promise<void> {
  const { run, progress } = deps;
  // Neither step may stop the deploy: a failure is said and the deploy goes on.
  const tolerant = (what: string, argv: string[]) => progress.step(what, () => run(argv, { timeoutSeconds: STEP_TIMEOUTS.quick })).catch((err: unknown) => ({ exitCode: 1, stderr: errorSummary(err) }));
  const paused = await tolerant('Pause alerts while the app is switched', pauseAlertsCommand(deployBudgetSeconds(change.healthTimeoutSeconds, { backup: true })));
  // Not a reason to stop: the swap's memory is tight without the pause, not gone.
  progress.note(paused.exitCode === 0 ? PAUSE_NOTE : `Alerts could not be paused (${lastLines(paused.stderr, 1) || 'no output'}); going on.`);
  try {
    await swapInto(deps, change, prepare);
  } finally {
    const resumed = await tolerant('Resume alerts', resumeAlertsCommand());
    if (resumed.exitCode !== 0) progress.note(resumeFailedNote(lastLines(resumed.stderr, 1) || 'no output'));
  }
}

async function swapInto(
  { run, progress, newId }: Pick<DeployDeps, 'run' | 'progress' | 'newId'>,
  { before, routed, sha, label, healthTimeoutSeconds }: Switch,
  prepare: { steps: () => Promise<void>; hint: string },
): Promise<void> {
  const restore = async (): Promise<string[]> => restorePrevious(run, before);
  try {
    await prepare.steps();
  } catch (err) {
    const problems = await restore();
    throw explain(err, `${label} (${short(sha)}) stopped before the app was touched; ${short(before.commit)} keeps serving.${rollbackNote(problems)}`, prepare.hint);
  }

  // Blue/green behind the edge (blue-green.ts): app-next serves while app is replaced, so no request is refused.
  const limits = { readySeconds: healthTimeoutSeconds, drainSeconds: STEP_TIMEOUTS.drain };
  const plan = swapPlan(routed);
  try {
    await runSwap(run, progress, plan, limits);
  } catch (err) {
    const phase = err instanceof SwapStepFailed ? phaseOf(plan, err.index) : 'during';
    if (phase === 'after') {
      // The new version serves from app already; only app-next outlives the swap, and the next deploy removes it.
      progress.note(`Swapped in, but app-next could not be removed (${(err as SwapStepFailed).output || 'no output'}); the next deploy removes it.`);
      return;
    }
    const logs = await logsOf(run, appLogsCommand(), newId());
    const problems = await restore();
    const recovered = await runSwap(run, progress, recoveryFor(phase), limits).then(() => true, () => false);
    const outcome =
      phase === 'before'
        ? `never became ready; ${short(before.commit)} kept serving throughout`
        : recovered
          ? `did not complete the swap; ${short(before.commit)} is serving again`
          : `did not complete the swap, AND the rollback to ${short(before.commit)} did not finish: app-next may still serve the new version, or nothing does`;
    throw explain(
      err,
      `${label} (${short(sha)}) ${outcome}.${rollbackNote(problems)}\n--- last lines of the app's logs ---\n${logs}`,
      recovered ? 'Fix what the logs show, then deploy again.' : `Open a shell (\`npm run session\`) and run \`sudo systemctl restart ${STACK_UNIT}\`; see docs/runbook.md "App unhealthy".`,
    );
  }
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
