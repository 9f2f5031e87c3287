// Runs the blue/green swap on the box one step at a time, with progress, and reads where the edge
// sends traffic (before a deploy, and after a failure to pick the recovery).
import type { RemoteRunner } from '../box/ssm-output.js';
import type { Progress } from '../core/progress.js';
import { describeStep, parseRouteProbe, routeProbeCommand, swapCommand, type AppColor, type StepLimits, type SwapStep } from './blue-green.js';
import { must, StepFailed } from './remote-step.js';

/** A step of the swap failed; `index` says which, so the caller knows where traffic was. */
export class SwapStepFailed extends StepFailed {
  constructor(
    readonly index: number,
    failed: StepFailed,
  ) {
    super(failed.what, failed.output);
  }
}

/** Seconds on top of a step's own limit for SSM and compose to start and stop it. */
const MARGIN_SECONDS = 60;

export async function routedColor(run: RemoteRunner): Promise<AppColor> {
  const result = await must(run, routeProbeCommand(), MARGIN_SECONDS, 'reading the edge route');
  return parseRouteProbe(result.stdout);
}

/** Runs the steps in order; the first failure throws SwapStepFailed naming the step. */
export async function runSwap(run: RemoteRunner, progress: Pick<Progress, 'step'>, steps: readonly SwapStep[], limits: StepLimits): Promise<void> {
  for (const [index, s] of steps.entries()) {
    const limit = s.kind === 'ready' ? limits.readySeconds : s.kind === 'drained' ? limits.drainSeconds : 0;
    try {
      await progress.step(describeStep(s), () => must(run, swapCommand(s, limits), limit + MARGIN_SECONDS, describeStep(s)));
    } catch (err) {
      throw err instanceof StepFailed ? new SwapStepFailed(index, err) : err;
    }
  }
}
