// The status command's settings: every environment by default, one with --env.
import { commonFields, commonSchema, flagSchema, type Command } from '../core/config.js';

export const statusFields = {
  ...commonFields,
  env: { flag: 'env', env: 'PILLBOX_ENV', description: 'show only this environment (default: all of them)' },
  all: { flag: 'all', boolean: true, description: 'show every environment even when PILLBOX_ENV is set' },
};

export const statusSchema = commonSchema.extend({ env: commonSchema.shape.env.optional(), all: flagSchema.default(false) });

export const statusCommand: Command = {
  name: 'status',
  summary: 'Shows each pillbox environment: state, type, URL, age, time left, cost so far and the health of its services.',
  fields: statusFields,
};
