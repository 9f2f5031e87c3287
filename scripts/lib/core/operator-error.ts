// Errors an operator can act on, and the one top-level runner every entry file uses.
import { asAws, awsErrorName, describeAwsError, isThrottling, networkErrorCode } from './aws-errors.js';

/** An error whose message names the cause and whose hint names the fix. */
export class OperatorError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'OperatorError';
  }
}

/** The SDK's own words when no source of the region (flag, env, profile, instance metadata) had one. */
export const isRegionMissing = (err: unknown): boolean => /^Region is missing/.test(asAws(err).message ?? '');

export const noRegionConfigured = (): OperatorError =>
  new OperatorError('No AWS region configured.', 'Set AWS_REGION (e.g. AWS_REGION=eu-west-1), a region in your AWS profile, or pass --region.');

/** Turns a known AWS or network failure into an OperatorError; returns undefined for unknown ones. */
export function explainAwsError(err: unknown): OperatorError | undefined {
  const name = awsErrorName(err);
  const message = asAws(err).message ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new OperatorError(
      'No AWS credentials found.',
      'Set AWS_PROFILE (after `aws sso login` or `aws configure`), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
    );
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'].includes(name)) {
    return new OperatorError('The AWS session token has expired.', 'Refresh it (`aws sso login --profile <profile>`) and run the command again.');
  }
  if (['InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'AuthFailure'].includes(name)) {
    return new OperatorError(
      `AWS rejected the credentials (${name}).`,
      'Check AWS_PROFILE / AWS_ACCESS_KEY_ID, and that the region is enabled for the account.',
    );
  }
  if (name === 'OptInRequired') {
    return new OperatorError('The account is not opted in to this region.', 'Enable the region in the AWS console, or pick another with --region / AWS_REGION.');
  }
  if (isRegionMissing(err)) return noRegionConfigured();
  if (['ENOTFOUND', 'EAI_AGAIN'].includes(networkErrorCode(err)) || /getaddrinfo/.test(message)) {
    return new OperatorError(
      `Cannot reach the AWS endpoint (${message.split('\n')[0]}).`,
      'Check the region name (--region / AWS_REGION) and your network connection.',
    );
  }
  // Name resolution worked but nothing answered: a proxy, a firewall or an AWS_ENDPOINT_URL* override.
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(networkErrorCode(err))) {
    return new OperatorError(
      `Cannot reach the AWS endpoint (${message.split('\n')[0]}).`,
      'Check AWS_ENDPOINT_URL* and HTTPS_PROXY if you set them, and your network connection.',
    );
  }
  if (['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess'].includes(name)) {
    return new OperatorError(
      `AWS denied the request: ${message.split('\n')[0]}`,
      'The credentials need the permissions of docs/aws-setup.md "Attach the permission policy"; check AWS_PROFILE.',
    );
  }
  if (name === 'Unknown' && asAws(err).$metadata?.httpStatusCode === 403) {
    return new OperatorError(
      'AWS answered 403 Forbidden with no reason (a HEAD request, such as S3 HeadBucket or HeadObject, has no body to carry one).',
      'Usually a missing permission (docs/aws-setup.md "Attach the permission policy") or a resource of another account; check AWS_PROFILE, and run again with --debug to see the call.',
    );
  }
  if (isThrottling(err)) {
    return new OperatorError(
      `AWS kept throttling requests (${name}) after ${asAws(err).$metadata?.attempts ?? 'several'} attempts.`,
      'Wait a minute and run the command again; it converges from where it stopped.',
    );
  }
  if (name === 'InsufficientInstanceCapacity') {
    return new OperatorError(
      'AWS has no capacity for this instance type in the chosen zone right now.',
      'Try again in a few minutes, or pick another type with --instance-type or another region.',
    );
  }
  if (name === 'InstanceLimitExceeded' || name === 'VcpuLimitExceeded') {
    return new OperatorError(`The account's EC2 quota is reached (${name}).`, 'Tear down unused environments (`npm run teardown`) or request a quota increase in Service Quotas.');
  }
  if (name === 'Unsupported' || name === 'InvalidInstanceType') {
    return new OperatorError(`The instance type is not offered here: ${message.split('\n')[0]}`, 'Pick another type with --instance-type, or another region.');
  }
  return undefined;
}

/** One line on what went wrong, for reports that name several failures (ours, a known AWS error, or the raw one). */
export const errorSummary = (err: unknown): string => (err instanceof OperatorError ? err.message : (explainAwsError(err)?.message ?? describeAwsError(err)));

export interface RunOptions {
  argv?: string[];
  stderr?: NodeJS.WritableStream;
  exit?: (code: number) => void;
}

/** Formats an error for the terminal: `✖ message` and `  → hint`, stack only when debugging. */
export function formatError(err: unknown, debug: boolean): string {
  const known = err instanceof OperatorError ? err : explainAwsError(err);
  const lines: string[] = [];
  if (known) {
    lines.push(`✖ ${known.message}`, `  → ${known.hint}`);
  } else {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    lines.push(`✖ ${message}`, '  → This is unexpected; run again with --debug for the stack trace and report it.');
  }
  if (debug) {
    const stack = err instanceof Error ? err.stack : undefined;
    if (stack) lines.push('', stack);
  }
  return lines.join('\n') + '\n';
}

/** Runs an entry file's main: known failures print cause + fix and exit 1. */
export async function runCli(main: (argv: string[]) => Promise<void>, options: RunOptions = {}): Promise<void> {
  const argv = options.argv ?? process.argv.slice(2);
  const stderr = options.stderr ?? process.stderr;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  try {
    await main(argv);
  } catch (err) {
    stderr.write(formatError(err, argv.includes('--debug')));
    exit(1);
  }
}
