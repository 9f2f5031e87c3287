// The backups command's settings: every environment's backups by default, one with --env.
import { commonFields, commonSchema, flagSchema, type Command } from '../core/config.js';

export const backupsFields = {
  ...commonFields,
  env: { flag: 'env', env: 'PILLBOX_ENV', description: 'show only this environment (default: all of them)' },
  all: { flag: 'all', boolean: true, description: 'show every environment even when PILLBOX_ENV is set' },
};

export const backupsSchema = commonSchema.extend({ env: commonSchema.shape.env.optional(), all: flagSchema.default(false) });

export const backupsCommand: Command = {
  name: 'backups',
  summary: 'Lists the backups in the project bucket: environment, time, size, age and key (for `npm run restore -- --from <key>`).',
  fields: backupsFields,
};
