// The unlock command's settings. It asks and prints one line, so it has no --json.
import { commonFields, commonSchema, flagSchema, type Command } from '../core/config.js';

export const unlockFields = {
  env: commonFields.env,
  region: commonFields.region,
  yes: { flag: 'yes', boolean: true, description: 'do not ask for confirmation' },
  debug: commonFields.debug,
  help: commonFields.help,
};

export const unlockSchema = commonSchema.extend({ yes: flagSchema.default(false) });

export const unlockCommand: Command = {
  name: 'unlock',
  summary: 'Shows who holds the provision/teardown lock of an environment and removes it (a killed run leaves it behind).',
  fields: unlockFields,
};
