// Runs the blue/green swap on the box one step at a time, with progress, and reads where the edge
// sends traffic (before a deploy, and after a failure to pick the recovery).
import type { RemoteRunner } from '../box/ssm-output.js';
import type { Progress } from '../core/progress.js';
import { describeStep, parseRouteProbe, routeProbeCommand, swapCommand, swapStepSeconds, type AppColor, type StepLimits, type SwapStep } from './blue-green.js';
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

export async function routedColor(run: RemoteRunner, timeoutSeconds: number): Promise<AppColor> {
  const result = await must(run, routeProbeCommand(), timeoutSeconds, 'reading the edge route');
  return parseRouteProbe(result.stdout);
}

/** Runs the steps in order; the first failure throws SwapStepFailed naming the step. */
export async function runSwap(run: RemoteRunner, progress: Pick<Progress, 'step'>, steps: readonly SwapStep[], limits: StepLimits): Promise<void> {
  for (const [index, s] of steps.entries()) {
    try {
      await progress.step(describeStep(s), () => must(run, swapCommand(s, limits), swapStepSeconds(s, limits), describeStep(s)));
    } catch (err) {
      throw err instanceof StepFailed ? new SwapStepFailed(index, err) : err;
    }
  }
}
