// The restore command's settings. --from is required, but checked after --help (restore.ts).
import { z } from 'zod';
import { commonFields, commonSchema, flagSchema, type Command } from '../core/config.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from '../deploy/plan.js';

export const restoreFields = {
  ...commonFields,
  from: { flag: 'from', description: 'latest, or a backup key or time from `npm run backups`' },
  yes: { flag: 'yes', boolean: true, description: 'do not ask for confirmation' },
  ci: { flag: 'ci', env: 'CI', boolean: true, description: 'never prompt (set by CI systems)' },
  noBackup: { flag: 'no-backup', boolean: true, description: 'skip the backup of the data being replaced' },
  healthTimeout: {
    flag: 'health-timeout',
    env: 'PILLBOX_DEPLOY_HEALTH_TIMEOUT',
    description: `seconds the app may take to turn healthy again (default ${DEFAULT_HEALTH_TIMEOUT_SECONDS})`,
  },
};

export const restoreSchema = commonSchema.extend({
  from: z.string().min(1).optional(),
  yes: flagSchema.default(false),
  ci: flagSchema.default(false),
  noBackup: flagSchema.default(false),
  healthTimeout: z.coerce.number({ error: 'expected a whole number of seconds from 10 to 1800' }).int().min(10).max(1800),
});

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Stops the app, restores the database from a backup in one transaction, starts the app and reports the row counts. The data it replaces is backed up first.',
  fields: restoreFields,
};
