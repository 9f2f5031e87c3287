// The backups command's settings: every environment's backups by default, one with --env.
import { everyEnvironmentFields, type Command } from '../core/config.js';

export const backupsCommand: Command = {
  name: 'backups',
  summary: 'Lists the backups in the project bucket: environment, time, size, age and key (for `npm run restore -- --from <key>`).',
  fields: everyEnvironmentFields,
};
