// Every call of a fresh provision that changes the account, in order: the crash and error
// matrices inject their fault at each one (by occurrence), so a new call joins them by being listed here.
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';

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

/** ['PutParameter', 1], ['CreateRole', 1], ..., ['PutParameter', 2], ...: each call by its occurrence. */
export const crashPoints = PROVISION_MUTATIONS.map((command, i) => [command, PROVISION_MUTATIONS.slice(0, i + 1).filter((c) => c === command).length] as const);
