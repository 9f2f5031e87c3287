// Progress on stderr (step + elapsed time), results on stdout as a table or JSON,
// so `--json` output stays machine-readable while the operator still sees progress.

export interface ProgressOptions {
  stream?: NodeJS.WritableStream;
  now?: () => number;
}

export const formatElapsed = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

export class Progress {
  private readonly stream: NodeJS.WritableStream;
  private readonly now: () => number;
  private readonly started: number;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  /** Runs one step; `report` prints an intermediate state such as "pending 3/6". */
  async step<T>(label: string, fn: (report: (detail: string) => void) => Promise<T>): Promise<T> {
    const t0 = this.now();
    this.stream.write(`▸ ${label}\n`);
    const report = (detail: string) => this.stream.write(`  … ${detail} (${formatElapsed(this.now() - t0)})\n`);
    try {
      const result = await fn(report);
      this.stream.write(`✓ ${label} (${formatElapsed(this.now() - t0)})\n`);
      return result;
    } catch (err) {
      this.stream.write(`✖ ${label} (${formatElapsed(this.now() - t0)})\n`);
      throw err;
    }
  }

  note(message: string): void {
    this.stream.write(`${message}\n`);
  }

  elapsed(): string {
    return formatElapsed(this.now() - this.started);
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
