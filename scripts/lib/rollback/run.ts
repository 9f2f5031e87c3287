// Rollback: the release and image the last deploy replaced, put back through deploy's own pieces.
//
// Deploy keeps the image it replaces as pillbox-app:rollback and records that image's commit
// beside it (plan.ts keepRollbackCommand); its release stays unpacked until the next fetch. A
// rollback re-tags the app image to it, activates its release, and runs the same blue/green
// swap, with the same restore on failure (deploy/run.ts switchApp). It records nothing new, so
// a second rollback finds the box already on the recorded commit and refuses.

import { OperatorError } from '../core/operator-error.js';
import { checkoutCommand, parseRollbackTarget, rollbackTargetCommand, ROLLBACK_TAG, STEP_TIMEOUTS, tagCommand } from '../deploy/plan.js';
import { lastLines, must } from '../deploy/remote-step.js';
import { readRoute, readServing, recordServed, switchApp, type DeployDeps } from '../deploy/run.js';

export type RollbackDeps = Omit<DeployDeps, 'beforeChange' | 'changeSecrets'>;

export interface RollbackResult {
  from: string;
  to: string;
  image: string;
}

const short = (sha: string): string => sha.slice(0, 7);
const NOTHING_HINT = 'A rollback goes back one deploy: deploy a commit first (`npm run deploy -- --ref <commit>`).';

export async function rollbackApp(deps: RollbackDeps, { healthTimeoutSeconds }: { healthTimeoutSeconds: number }): Promise<RollbackResult> {
  const { run, progress } = deps;
  const before = await readServing(run, progress);
  const target = await progress.step('Read what the last deploy kept', async () => {
    const result = await run(rollbackTargetCommand(), { timeoutSeconds: STEP_TIMEOUTS.quick });
    if (result.exitCode === 3) throw new OperatorError(`Nothing to roll back to: ${lastLines(result.stderr, 1)}.`, NOTHING_HINT);
    if (result.exitCode !== 0) throw new OperatorError(`Could not read the box's state: ${lastLines(result.stderr, 1)}`, 'Check the box with `npm run status`.');
    return parseRollbackTarget(result.stdout);
  });
  if (target.commit === before.commit) throw new OperatorError(`Nothing to roll back to: the box already serves ${short(before.commit)}, the version the last deploy kept.`, NOTHING_HINT);

  const routed = await readRoute(run, progress);
  await switchApp(
    deps,
    { before, routed, sha: target.commit, label: 'The previous version', healthTimeoutSeconds },
    {
      steps: async () => {
        await progress.step(`Tag ${ROLLBACK_TAG} as the app image`, () => must(run, tagCommand(target.imageId, before.imageName), STEP_TIMEOUTS.quick, 'docker image tag'));
        await progress.step(`Activate ${short(target.commit)}`, () => must(run, checkoutCommand(target.commit), STEP_TIMEOUTS.quick, 'activating the release'));
      },
      hint: 'Check the box with `npm run status`, then run the rollback again.',
    },
  );
  await recordServed(deps, target.commit, 'Run the rollback again: it finds the commit in place and refuses; then `npm run deploy -- --ref <that commit>` retries the tag.');
  return { from: before.commit, to: target.commit, image: target.imageId };
}
