// The session command's settings. It hands the terminal to a remote shell, so it has no --json.
import { commonFields, type Command } from '../core/config.js';

export const sessionFields = {
  env: commonFields.env,
  region: commonFields.region,
  debug: commonFields.debug,
  help: commonFields.help,
};

export const sessionCommand: Command = {
  name: 'session',
  summary: 'Opens a shell on the box with `aws ssm start-session` (needs AWS CLI v2 and the session-manager-plugin).',
  fields: sessionFields,
};
