// Ctrl-C or a cancelled CI job: the first SIGINT/SIGTERM aborts the running command's signal
// (its waits stop at once, it undoes what it made); a second one runs the registered
// last-moment work (releasing a lock this run holds), bounded, then ends the process. The bound
// stays under the 2.5 s a GitHub runner leaves between its SIGTERM and killing the process tree
// (actions/runner v2.336.0, src/Runner.Sdk/ProcessInvoker.cs).
import { OperatorError } from './operator-error.js';

type Signal = 'SIGINT' | 'SIGTERM';

/** How long a second signal waits for the last-moment work before the process exits. */
export const FORCED_EXIT_MS = 2_000;

export interface Interrupt {
  signal: AbortSignal;
  /** Registers work a second signal runs before exiting; returns its removal. */
  onForcedExit: (work: () => Promise<unknown>) => () => void;
  /** Removes the handlers (the command finished). */
  dispose: () => void;
}

/** The error a run stops with once interrupted. */
export const interrupted = (signal: AbortSignal): OperatorError =>
  new OperatorError(`Interrupted (${String(signal.reason ?? 'signal')}).`, 'Run the command again when ready: it converges on what exists.');

export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw interrupted(signal);
}

export function interruptOn(
  proc: Pick<NodeJS.Process, 'on' | 'off' | 'exit' | 'stderr'> = process,
  signals: readonly Signal[] = ['SIGINT', 'SIGTERM'],
  boundMs = FORCED_EXIT_MS,
): Interrupt {
  const controller = new AbortController();
  const lastWork = new Set<() => Promise<unknown>>();
  let exiting = false;
  const handlers = signals.map((name) => {
    const handler = () => {
      if (!controller.signal.aborted) {
        proc.stderr.write(`\n${name}: stopping now and undoing what this run made (again to quit within ${boundMs / 1000} s, releasing the lock)\n`);
        controller.abort(name);
        return;
      }
      if (exiting) return;
      exiting = true;
      proc.stderr.write(`\n${name}: quitting${lastWork.size ? ' after releasing the lock' : ''}\n`);
      const bound = new Promise((resolve) => setTimeout(resolve, boundMs).unref());
      void Promise.race([Promise.allSettled([...lastWork].map((work) => work())), bound]).then(() => proc.exit(130));
    };
    proc.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    onForcedExit: (work) => {
      lastWork.add(work);
      return () => lastWork.delete(work);
    },
    dispose: () => handlers.forEach(([name, handler]) => proc.off(name, handler)),
  };
}
