import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import type { Logger } from '../observability/logger';
import { RespawnTracker, respawnPolicyFor } from './respawn-policy';

export interface SupervisorOptions {
  workers: number;
  shutdownTimeoutMs: number;
  /** Environment every worker gets on top of the primary's (e.g. the resolved DATABASE_URL). */
  workerEnv: Record<string, string>;
  /** Node options every worker gets after the primary's own (heap limits). */
  workerExecArgv: string[];
  logger: Logger;
  tracker?: RespawnTracker;
}

/** Outcome of a supervisor's life: 0 after a clean drain, 1 after a crash loop or a forced stop. */
export type ExitCode = 0 | 1;

/**
 * The Gunicorn-style arbiter: keeps N workers alive, replaces the dead with backoff,
 * gives up on a crash loop, and drains every worker on SIGTERM/SIGINT.
 */
export class Supervisor {
  private readonly slots = new Map<number, Worker>();
  private readonly tracker: RespawnTracker;
  private stopping = false;
  private deadline?: NodeJS.Timeout;
  private exitCode: ExitCode = 0;
  private settle!: (code: ExitCode) => void;
  readonly done = new Promise<ExitCode>((resolve) => (this.settle = resolve));

  constructor(private readonly options: SupervisorOptions) {
    this.tracker = options.tracker ?? new RespawnTracker(respawnPolicyFor(options.workers));
    // The primary's own options come first: `-r apm-start` must reach the workers too.
    cluster.setupPrimary({ execArgv: [...process.execArgv, ...options.workerExecArgv] });
  }

  /**
   * Forks the workers; resolves once every slot has a worker that is listening. During a crash
   * loop that never happens, and `done` settles instead.
   */
  start(): Promise<void> {
    // Node's default round-robin hand-off: with workers accepting from the shared socket
    // (SCHED_NONE) Linux gave most connections to one worker and list throughput fell by a third.
    return new Promise((resolve) => {
      const listening = new WeakSet<Worker>();
      const onListening = (worker: Worker) => {
        listening.add(worker);
        const current = [...this.slots.values()];
        if (current.length === this.options.workers && current.every((w) => listening.has(w))) {
          cluster.off('listening', onListening);
          resolve();
        }
      };
      cluster.on('listening', onListening);
      for (let slot = 1; slot <= this.options.workers; slot++) this.fork(slot);
    });
  }

  stop(reason: string, code: ExitCode = 0): void {
    if (this.stopping) return;
    this.stopping = true;
    this.exitCode = code;
    this.options.logger.info({ reason, workers: this.slots.size }, 'draining workers');
    this.deadline = setTimeout(() => {
      this.options.logger.error(
        { timeoutMs: this.options.shutdownTimeoutMs },
        'workers did not drain within SHUTDOWN_TIMEOUT_MS; killing them',
      );
      this.exitCode = 1;
      for (const worker of this.slots.values()) worker.process.kill('SIGKILL');
    }, this.options.shutdownTimeoutMs);
    this.deadline.unref();
    for (const worker of this.slots.values()) worker.process.kill('SIGTERM');
    this.finishIfEmpty();
  }

  private fork(slot: number): void {
    const worker = cluster.fork({
      ...this.options.workerEnv,
      PILLBOX_WORKER_SLOT: String(slot),
      ELASTIC_APM_SERVICE_NODE_NAME: `${hostname()}-worker-${slot}`,
    });
    this.slots.set(slot, worker);
    worker.once('exit', (code, signal) => this.onExit(slot, worker, code, signal));
  }

  private onExit(slot: number, worker: Worker, code: number | null, signal: string | null): void {
    if (this.slots.get(slot) === worker) this.slots.delete(slot);
    const log = { slot, pid: worker.process.pid, code, signal };
    if (this.stopping) {
      this.options.logger.info(log, 'worker stopped');
      this.finishIfEmpty();
      return;
    }
    const decision = this.tracker.onDeath(Date.now());
    if (decision.action === 'give-up') {
      this.options.logger.fatal(
        { ...log, deaths: decision.deaths },
        `workers died ${decision.deaths} times in a row within the crash window; stopping. The worker logs above say why.`,
      );
      this.stop('crash loop', 1);
      return;
    }
    this.options.logger.warn({ ...log, respawnInMs: decision.delayMs }, 'worker died; replacing it');
    setTimeout(() => {
      if (!this.stopping) this.fork(slot);
    }, decision.delayMs);
  }

  private finishIfEmpty(): void {
    if (this.slots.size > 0) return;
    clearTimeout(this.deadline);
    this.settle(this.exitCode);
  }
}
