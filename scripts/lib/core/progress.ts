// Progress on stderr (step + elapsed time), results on stdout as a table or JSON,
// so `--json` output stays machine-readable while the operator still sees progress.

export interface ProgressOptions {
  stream?: NodeJS.WritableStream;
  now?: () => number;
  /** One redrawn line with a spinner (default: when the stream is a terminal); else plain lines. */
  live?: boolean;
  /** Real milliseconds between redraws of the live line, and between "still waiting" lines otherwise. */
  tickMs?: number;
  plainEveryMs?: number;
}

export interface StepOptions {
  /** The step's time budget: shown beside the elapsed time, and in what an interruption says. */
  budgetMs?: number;
}

export const formatElapsed = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Erase the terminal line and return to its start. */
const CLEAR_LINE = '\r\x1b[2K';

/**
 * The line cut to one character less than the terminal's width: a line that wraps leaves its first
 * row behind at every redraw, and the wait scrolls instead of standing still. Counted in code points
 * (the spinner and the dashes are three bytes but one column).
 */
export function fitLine(line: string, columns: number): string {
  const chars = Array.from(line);
  return chars.length < columns ? line : `${chars.slice(0, Math.max(0, columns - 2)).join('')}…`;
}

interface Running {
  label: string;
  started: number;
  budgetMs?: number;
  detail?: string;
}

/**
 * Each step shows what it waits for and how long it has waited against its budget: on a terminal one
 * live line with a spinner, redrawn every second; otherwise (CI logs, a pipe) a line when the state
 * changes and at least one a minute, never one per poll.
 */
export class Progress {
  private readonly stream: NodeJS.WritableStream;
  private readonly now: () => number;
  private readonly started: number;
  private readonly live: boolean;
  private readonly tickMs: number;
  private readonly plainEveryMs: number;
  private running: Running | undefined;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.live = options.live ?? (this.stream as { isTTY?: boolean }).isTTY === true;
    this.tickMs = options.tickMs ?? 1000;
    this.plainEveryMs = options.plainEveryMs ?? 60_000;
  }

  /** `1m05s of 5m00s`: the time spent, against the budget when there is one. */
  private spent(run: Running): string {
    const elapsed = formatElapsed(this.now() - run.started);
    return run.budgetMs === undefined ? elapsed : `${elapsed} of ${formatElapsed(run.budgetMs)}`;
  }

  private draw(run: Running, frame: number): void {
    const spinner = SPINNER[frame % SPINNER.length] as string;
    const line = `${spinner} ${run.label} — ${this.spent(run)}${run.detail ? ` · ${run.detail}` : ''}`;
    // Read at every redraw: the window may have been resized.
    this.stream.write(`${CLEAR_LINE}${fitLine(line, (this.stream as { columns?: number }).columns ?? 80)}`);
  }

  /** Runs one step; `report` tells its current state, such as "pending 3/6". */
  async step<T>(label: string, fn: (report: (detail: string) => void) => Promise<T>, options: StepOptions = {}): Promise<T> {
    const run: Running = { label, started: this.now(), ...(options.budgetMs === undefined ? {} : { budgetMs: options.budgetMs }) };
    this.running = run;
    let frame = 0;
    let printedDetail: string | undefined;
    let printedAt = run.started;
    const plainLine = (detail: string) => {
      this.stream.write(`  … ${detail} (${this.spent(run)})\n`);
      printedDetail = detail;
      printedAt = this.now();
    };
    const report = (detail: string) => {
      run.detail = detail;
      if (this.live) this.draw(run, frame);
      else if (detail !== printedDetail || this.now() - printedAt >= this.plainEveryMs) plainLine(detail);
    };
    if (this.live) this.draw(run, frame);
    else this.stream.write(`▸ ${label}${run.budgetMs === undefined ? '' : ` (budget ${formatElapsed(run.budgetMs)})`}\n`);
    // Real time drives the redraw and the "still waiting" line: a silent wait still shows it is alive.
    const timer = setInterval(
      () => {
        frame += 1;
        if (this.live) this.draw(run, frame);
        else if (this.now() - printedAt >= this.plainEveryMs) plainLine(run.detail ?? 'still waiting');
      },
      this.live ? this.tickMs : Math.min(this.tickMs * 5, this.plainEveryMs),
    );
    timer.unref();
    const end = (mark: string) => this.stream.write(`${this.live ? CLEAR_LINE : ''}${mark} ${label} (${formatElapsed(this.now() - run.started)})\n`);
    try {
      const result = await fn(report);
      end('✓');
      return result;
    } catch (err) {
      end('✖');
      throw err;
    } finally {
      clearInterval(timer);
      this.running = undefined;
    }
  }

  note(message: string): void {
    this.stream.write(`${this.live && this.running ? CLEAR_LINE : ''}${message}\n`);
  }

  elapsed(): string {
    return formatElapsed(this.now() - this.started);
  }

  /** What an interruption (Ctrl-C) left: the step under way and its time, then how to resume. */
  interruption(resume: string): string {
    const run = this.running;
    const where = run ? `during "${run.label}" after ${this.spent(run)}` : 'between steps';
    return `${this.live ? CLEAR_LINE : ''}✖ Interrupted ${where}; what comes after it was not done.\n  → ${resume}\n`;
  }
}

export type Row = readonly [label: string, value: string];

/** A two-column table with aligned labels. */
export function table(rows: readonly Row[]): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n';
}

/** Prints the command's result: JSON when asked, else the summary table. */
export function printResult(json: boolean, data: unknown, rows: readonly Row[], stdout: NodeJS.WritableStream = process.stdout): void {
  stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : table(rows));
}
