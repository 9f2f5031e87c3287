// The deploy command's settings. PILLBOX_REF is the commit an environment runs: provision
// launches it and deploy ships it, so both read the same variable.
import { z } from 'zod';
import { WRITE_PASSWORD_CHANGES } from '../aws/write-password.js';
import { OperatorError } from '../core/operator-error.js';
import { commonFields, commonSchema, flagSchema, type Command } from '../core/config.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from './plan.js';

export const deployFields = {
  ...commonFields,
  ref: { flag: 'ref', env: 'PILLBOX_REF', description: 'branch, tag or commit to deploy; committed content only, no push needed (default HEAD; with --write-password, the commit the box runs)' },
  healthTimeout: { flag: 'health-timeout', env: 'PILLBOX_DEPLOY_HEALTH_TIMEOUT', description: `seconds the new version may take to become healthy (default ${DEFAULT_HEALTH_TIMEOUT_SECONDS})` },
  noBackup: { flag: 'no-backup', boolean: true, description: 'skip the backup taken before a deploy that changes migrations' },
  writePassword: {
    flag: 'write-password',
    description: "change the app's write password, then swap even an unchanged commit: rotate (a new one, the old one still accepted), drop-previous (only the current one), reload (the stored ones again)",
  },
};

export const deploySchema = commonSchema.extend({
  // No default here: with --write-password the default is the box's commit (deployRef).
  ref: z.string().min(1).optional(),
  healthTimeout: z.coerce.number({ error: 'expected a whole number of seconds from 10 to 1800' }).int().min(10).max(1800),
  noBackup: flagSchema.default(false),
  writePassword: z.enum(WRITE_PASSWORD_CHANGES, { error: `expected one of ${WRITE_PASSWORD_CHANGES.join(', ')}` }).optional(),
});

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'Ships the commit to the box through the project bucket, builds the app image, proves it ready beside the serving app, then swaps it in blue/green behind the edge (no request refused); any failure restores the previous version.',
  fields: deployFields,
};

/**
 * The ref to deploy: the one given, else HEAD; with --write-password, else the commit the box runs (its GitSha tag),
 * so a password change does not also ship whatever is checked out here.
 */
export function deployRef(ref: string | undefined, writePassword: string | undefined, boxCommit: string | undefined): string {
  if (ref !== undefined) return ref;
  if (writePassword === undefined) return 'HEAD';
  if (boxCommit === undefined) {
    throw new OperatorError('The box has no GitSha tag, so the commit it runs is unknown.', 'Name the commit to deploy with the password change: `--ref <commit>`.');
  }
  return boxCommit;
}
