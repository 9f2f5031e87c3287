// The teardown command's settings.
import { z } from 'zod';
import { commonFields, commonSchema, envNameSchema, flagSchema, loadConfig, type Command, type Fields, type Sources } from '../core/config.js';
import type { GitRunner } from '../core/git.js';

export const teardownFields = {
  ...commonFields,
  yes: { flag: 'yes', boolean: true, description: 'do not ask for confirmation' },
  allExpired: { flag: 'all-expired', boolean: true, description: 'remove every environment past its ExpiresAt, found by instance, security group or leftovers by tag' },
  prefix: { flag: 'prefix', description: 'with --all-expired: only environments whose name starts with this (the CI role sweeps feat- ones, the only ones it reaches)' },
  ci: { flag: 'ci', env: 'CI', boolean: true, description: 'never prompt (set by CI systems)' },
  noBackup: { flag: 'no-backup', boolean: true, description: 'skip the final backup of a box that still answers' },
  deleteBackups: { flag: 'delete-backups', boolean: true, description: "delete the environment's backups too (kept by default)" },
} satisfies Fields;

export const teardownSchema = commonSchema
  .extend({
    // --all-expired needs no environment name (and may run outside a git checkout).
    env: envNameSchema.optional(),
    yes: flagSchema.default(false),
    allExpired: flagSchema.default(false),
    prefix: envNameSchema.optional(),
    ci: flagSchema.default(false),
    noBackup: flagSchema.default(false),
    deleteBackups: flagSchema.default(false),
  })
  .refine((c) => c.allExpired || c.env !== undefined, { path: ['env'], error: 'expected an environment name, or --all-expired' })
  .refine((c) => c.allExpired || c.prefix === undefined, { path: ['prefix'], error: 'narrows --all-expired only: add --all-expired, or drop --prefix' });

export type TeardownConfig = z.infer<typeof teardownSchema>;

export const teardownCommand: Command = {
  name: 'teardown',
  summary: 'Removes everything an environment created: instance, security group, role, profile, parameters, expiry schedules, source archives; a final backup first, backups kept unless asked.',
  fields: teardownFields,
};

export const loadTeardownConfig = (sources: Sources, git: GitRunner): Promise<TeardownConfig> => loadConfig(teardownFields, teardownSchema, sources, git);
