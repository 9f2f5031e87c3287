// One doctor check's outcome: a status, one line of detail and, whenever something is
// wrong, one line naming the fix. Checks never throw; a failure is a result.
import { explainAwsError, OperatorError } from '../core/operator-error.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** Every warn and fail names what to do about it. */
  fix?: string;
  /** Machine-readable findings for `--json` (e.g. each denied action). */
  data?: unknown;
}

/** The names every report uses, in the order the checks run. */
export const CHECK = {
  node: 'node',
  git: 'git',
  awsCli: 'aws cli',
  sessionPlugin: 'session-manager-plugin',
  region: 'region',
  credentials: 'credentials',
  defaultVpc: 'default vpc',
  instanceType: 'instance type',
  permissions: 'permissions',
  boundary: 'permissions boundary',
  ebsKey: 'default ebs key',
  sessionPreferences: 'session preferences',
} as const;

export const ok = (name: string, detail: string, data?: unknown): CheckResult => ({ name, status: 'ok', detail, ...(data === undefined ? {} : { data }) });
export const warn = (name: string, detail: string, fix: string, data?: unknown): CheckResult => ({ name, status: 'warn', detail, fix, ...(data === undefined ? {} : { data }) });
export const fail = (name: string, detail: string, fix: string, data?: unknown): CheckResult => ({ name, status: 'fail', detail, fix, ...(data === undefined ? {} : { data }) });
export const skipped = (name: string, because: string): CheckResult => ({ name, status: 'skip', detail: `skipped: ${because}` });

/** An AWS, network or unforeseen error inside a check, as that check's failure with cause and fix. */
export function failedWith(name: string, err: unknown): CheckResult {
  const known = err instanceof OperatorError ? err : explainAwsError(err);
  if (known) return fail(name, known.message.replace(/\.$/, ''), known.hint);
  const message = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err);
  return fail(name, message, 'This is unexpected; report it with this line.');
}

/** Runs a check so that whatever it throws becomes its own failed line, never the whole report's. */
export async function guarded(name: string, check: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check();
  } catch (err) {
    return failedWith(name, err);
  }
}
