// Every operator command, in the order docs/commands.md presents them. `--help`, its flag
// tables and the CLI part of `.env.example` are rendered from these tables; a new command is
// one entry here (tests/scripts/docs/ fails until it is, and until docs/commands.md has its block).
import { alertsCommand } from '../alerts/config.js';
import { backupCommand } from '../backup/config.js';
import { backupsCommand } from '../backups/config.js';
import type { Command } from '../core/config.js';
import { deployCommand } from '../deploy/config.js';
import { doctorCommand } from '../doctor/config.js';
import { execCommand } from '../exec/config.js';
import { extendCommand } from '../extend/config.js';
import { kibanaCommand } from '../kibana/config.js';
import { logsCommand } from '../logs/config.js';
import { provisionCommand, renderUserDataCommand } from '../provision/config.js';
import { restoreCommand } from '../restore/config.js';
import { rollbackCommand } from '../rollback/config.js';
import { sessionCommand } from '../session/config.js';
import { statusCommand } from '../status/config.js';
import { teardownCommand } from '../teardown/config.js';
import { unlockCommand } from '../unlock/config.js';

export const COMMANDS: readonly Command[] = [
  doctorCommand,
  provisionCommand,
  teardownCommand,
  renderUserDataCommand,
  statusCommand,
  sessionCommand,
  kibanaCommand,
  logsCommand,
  deployCommand,
  rollbackCommand,
  extendCommand,
  execCommand,
  alertsCommand,
  unlockCommand,
  backupCommand,
  backupsCommand,
  restoreCommand,
];
