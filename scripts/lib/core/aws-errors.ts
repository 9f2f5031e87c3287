// What an AWS error means to pillbox, in one place: its name, whether the thing is already
// gone, whether AWS was throttling. SDK v3 names modeled errors after their class
// (IAM's wire code NoSuchEntity arrives as NoSuchEntityException); EC2 models none, so its
// names are the wire codes (InvalidGroup.NotFound).

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { attempts?: number; httpStatusCode?: number };
}

export const asAws = (err: unknown): AwsLikeError => (typeof err === 'object' && err !== null ? (err as AwsLikeError) : {});

/** The AWS error name SDK v3 sets; network errors from Node carry theirs in `code` (see networkErrorCode). */
export const awsErrorName = (err: unknown): string => asAws(err).name ?? '';

/** `ENOTFOUND`, `EAI_AGAIN`, `ECONNREFUSED`...: Node's own code on a failed connection, or ''. */
export const networkErrorCode = (err: unknown): string => asAws(err).code ?? '';

/**
 * Errors that say the resource does not exist (any more): deleting it again, or reading it,
 * finds the work already done. Not among them: InvocationDoesNotExist, which means "not yet".
 */
const GONE = new Set([
  'NoSuchEntityException', // IAM: role, instance profile, policy
  'InvalidGroup.NotFound', // EC2 security group
  'InvalidInstanceID.NotFound', // EC2 instance (terminated over an hour ago; or launched seconds ago and not visible yet)
  'InvalidPermission.NotFound', // EC2 ingress rule
  'InvalidAllocationID.NotFound', // EC2 Elastic IP
  'ParameterNotFound', // SSM parameter
  'ResourceNotFoundException', // EventBridge Scheduler schedule (one that fired deleted itself)
  'NoSuchBucket', // S3 bucket, on a request about it or its objects
  'NoSuchKey', // S3 object, on GetObject
  'NotFound', // S3 bucket or object on HeadBucket / HeadObject, whose 404 has no body to name it
]);

export const isGone = (err: unknown): boolean => GONE.has(awsErrorName(err));

/**
 * A 403. S3 answers a HEAD with a status and no body, and the SDK's REST-XML protocol then names the
 * error "Unknown" with the message "UnknownError" (@aws-sdk/core, AwsRestXmlProtocol.handleError), so
 * the status is the only sign.
 */
export const isForbidden = (err: unknown): boolean =>
  ['Forbidden', 'AccessDenied', '403'].includes(awsErrorName(err)) || asAws(err).$metadata?.httpStatusCode === 403;

/** For `.catch(ignoreGone)` on a delete: already gone is done; anything else still fails. */
export const ignoreGone = (err: unknown): undefined => {
  if (isGone(err)) return undefined;
  throw err;
};

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

/** AWS asked to slow down. The SDK already retried it (adaptive mode) before it reached us. */
export const isThrottling = (err: unknown): boolean => THROTTLING.has(awsErrorName(err));

/** `DependencyViolation: resource sg-1 has a dependent object`: one line for a report. */
export const describeAwsError = (err: unknown): string => {
  const message = (asAws(err).message ?? String(err)).split('\n')[0];
  return awsErrorName(err) && awsErrorName(err) !== 'Error' ? `${awsErrorName(err)}: ${message}` : message ?? '';
};
