// Ctrl-C or a cancelled CI job: the first SIGINT/SIGTERM asks the running command to stop at
// its next step and undo what it made; a second one ends the process at once.
type Signal = 'SIGINT' | 'SIGTERM';

export interface Interrupt {
  signal: AbortSignal;
  /** Removes the handlers (the command finished). */
  dispose: () => void;
}

export function interruptOn(proc: Pick<NodeJS.Process, 'on' | 'off' | 'exit' | 'stderr'> = process, signals: readonly Signal[] = ['SIGINT', 'SIGTERM']): Interrupt {
  const controller = new AbortController();
  const handlers = signals.map((name) => {
    const handler = () => {
      if (controller.signal.aborted) return proc.exit(130);
      proc.stderr.write(`\n${name}: stopping after this step and undoing what this run made (again to quit at once)\n`);
      controller.abort(name);
    };
    proc.on(name, handler);
    return [name, handler] as const;
  });
  return { signal: controller.signal, dispose: () => handlers.forEach(([name, handler]) => proc.off(name, handler)) };
}
