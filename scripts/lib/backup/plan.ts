// The command `npm run backup` (and provision, deploy, teardown before they change the box)
// sends: the box's own backup script, the same one its nightly timer runs.
import { BACKUP_BIN } from '../box/layout.js';

/** Why a backup was taken, recorded in its manifest. */
export type BackupReason = 'manual' | 'pre-replace' | 'pre-deploy' | 'pre-restore' | 'teardown';

export const backupCommand = (reason: BackupReason): string[] => [BACKUP_BIN, reason];

/** pg_dump and the upload of a large database take a while; SSM stops the script after this. */
export const BACKUP_TIMEOUT_SECONDS = 1800;
