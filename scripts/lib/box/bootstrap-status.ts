// The first-boot bootstrap's status file (BOOTSTRAP_STATUS): which step runs, or which one
// failed and how. The box writes it (cloud-init/bootstrap.sh); the CLI reads it over SSM to
// say where a boot stopped, with the last lines of BOOTSTRAP_LOG.
import { BOOTSTRAP_LOG, BOOTSTRAP_STATUS } from './layout.js';
import type { Argv } from './ssm-run.js';

export interface BootstrapStatus {
  state: 'running' | 'failed' | 'done';
  step: string;
  /** The failed step's exit status. */
  exitCode?: number;
}

const STATES = new Set(['running', 'failed', 'done']);

/** `state=failed\nstep=source\nexit=65\n` → { state, step, exitCode }; undefined when absent or unreadable. */
export function parseBootstrapStatus(text: string): BootstrapStatus | undefined {
  const fields = new Map(
    text
      .split('\n')
      .map((line) => line.split('='))
      .filter((kv): kv is [string, string] => kv.length === 2)
      .map(([k, v]) => [k.trim(), v.trim()]),
  );
  const state = fields.get('state');
  const step = fields.get('step');
  if (!state || !STATES.has(state) || !step) return undefined;
  const exit = Number(fields.get('exit'));
  return { state: state as BootstrapStatus['state'], step, ...(fields.has('exit') && Number.isInteger(exit) ? { exitCode: exit } : {}) };
}

export const REPORT_SEPARATOR = '--- pillbox-bootstrap.log ---';

/** Prints the status file, a separator line, then the log's last lines (nothing when absent). */
export const bootstrapReport = (lines = 20): Argv => [
  'sh',
  '-c',
  'cat "$1" 2>/dev/null; echo "$2"; tail -n "$3" "$4" 2>/dev/null; exit 0',
  'sh',
  BOOTSTRAP_STATUS,
  REPORT_SEPARATOR,
  String(lines),
  BOOTSTRAP_LOG,
];

/** Splits the output of bootstrapReport into the status and the log's last lines. */
export function parseBootstrapReport(stdout: string): { status?: BootstrapStatus; logTail: string } {
  const at = stdout.indexOf(REPORT_SEPARATOR);
  if (at < 0) return { status: parseBootstrapStatus(stdout), logTail: '' };
  return { status: parseBootstrapStatus(stdout.slice(0, at)), logTail: stdout.slice(at + REPORT_SEPARATOR.length).replace(/^\n/, '').trimEnd() };
}
