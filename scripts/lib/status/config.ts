// The status command's settings: every environment by default, one with --env.
import { everyEnvironmentFields, type Command } from '../core/config.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'Shows each pillbox environment: state, type, URL, age, time left, cost so far and the health of its services.',
  fields: everyEnvironmentFields,
};
