// The backup command's settings: the common ones (it backs up the environment's box now).
import { commonFields, type Command } from '../core/config.js';

export const backupCommand: Command = {
  name: 'backup',
  summary: "Backs up the environment's database now (pg_dump on the box), to the project bucket; `npm run backups` lists them.",
  fields: commonFields,
};
