// The status command's settings: every environment by default, one with --env.
import { everyEnvironmentFields, everyEnvironmentSchema, flagSchema, type Command } from '../core/config.js';

export const statusFields = {
  ...everyEnvironmentFields,
  showWritePassword: {
    flag: 'show-write-password',
    boolean: true,
    description: "print the app's write password of the --env environment (read with your AWS credentials), and the previous one while a rotation keeps it",
  },
};

export const statusSchema = everyEnvironmentSchema.extend({ showWritePassword: flagSchema.default(false) });

export const statusCommand: Command = {
  name: 'status',
  summary: 'Shows each pillbox environment: state, type, URL, age, time left, cost so far and the health of its services.',
  fields: statusFields,
};
