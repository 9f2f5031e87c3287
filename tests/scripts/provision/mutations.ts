// Every call of a fresh provision that changes the account, in order: the crash and error
// matrices inject their fault at each one (by occurrence), so a new call joins them by being listed here.
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';
import { awsError, type World } from '../fakes/fake-aws.js';

/** Commands that change something, by the names the fake account logs. */
export const MUTATING = /^(Create|Put|Delete|Run|Terminate|Authorize|Revoke|Add|Remove|Send|Attach|Detach|Modify)/;

/**
 * Every mutating call a fresh provision makes, in order, as the hard fake answers it
 * (RunInstances four times while the new profile reaches EC2). teardown's crash tests and
 * provision's error matrix run for each; a test fails when provision makes a call this list lacks.
 */
export const PROVISION_MUTATIONS = [
  'PutParameter', // the lock
  'CreateBucket', // the project bucket, then its settings
  'PutPublicAccessBlock',
  'PutBucketEncryption',
  'PutBucketPolicy',
  'PutBucketLifecycleConfiguration',
  'PutBucketTagging',
  'PutObject', // the source archive
  'CreateRole',
  'PutRolePermissionsBoundary', // a kept role from an older version converges too
  'PutRolePolicy',
  'CreateInstanceProfile',
  'AddRoleToInstanceProfile',
  'CreateRole', // the expiry schedule's role, in the IAM phase: it propagates while the box boots
  'PutRolePolicy',
  ...SECRET_NAMES.map(() => 'PutParameter'), // the secrets
  'CreateSecurityGroup',
  'AuthorizeSecurityGroupIngress',
  'RunInstances', // after the instance policy settled (15 s), by when the profile has reached EC2 (12 s)
  'CreateSchedule',
  'DeleteParameter', // the lock, released
  'SendCommand', // cloud-init
  'SendCommand', // the stack
  'SendCommand', // /readyz
  'SendCommand', // the edge's mode
];

/** ['PutParameter', 1], ['CreateRole', 1], ..., ['PutParameter', 2], ...: each call of `calls` by its occurrence. */
export const pointsOf = (calls: readonly string[]) => calls.map((command, i) => [command, calls.slice(0, i + 1).filter((c) => c === command).length] as const);

export const crashPoints = pointsOf(PROVISION_MUTATIONS);

/** The error AWS answers with, as the SDK raises it once its retries are spent. */
export const FAULTS = {
  AccessDenied: (command: string) => awsError('AccessDenied', `User: arn:aws:iam::123456789012:user/alice is not authorized to perform: ${command}`),
  'throttling past the retries': (command: string) => Object.assign(awsError(/^(Send|Put|Delete)Parameter|SendCommand/.test(command) ? 'ThrottlingException' : 'Throttling', 'Rate exceeded'), { $metadata: { attempts: 8 } }),
};

/** The `occurrence`th call of `command` fails with `error`; the rest are answered. */
export function failAt(world: World, command: string, occurrence: number, error: Error): void {
  let seen = 0;
  world.onCall = (name) => {
    if (name === command && ++seen === occurrence) world.faults.set(name, [error]);
  };
}

/** What a box of dev runs on, beside the instance: its role, profile, group and secrets (the lock is not one of them). */
export const kept = (world: World) => ({ role: world.roles.has('pillbox-dev-instance'), profile: world.profiles.has('pillbox-dev-instance'), group: world.groups.length === 1, secrets: [...world.params.keys()].filter((k) => !k.endsWith('/lock')).length });
