// The two expiry guards and the one invariant between them: the box's own timer fires at
// ExpiresAt and takes a last backup before powering off; the Scheduler one-shot outside the
// box terminates it only once that can have finished, so it never cuts the last backup.
// Both sides read their figures here: expire.service's TimeoutStartSec and expire.timer's
// AccuracySec are rendered from these, and the schedule's time is offBoxGuardAt().

const MINUTE_MS = 60_000;

/** expire.timer's AccuracySec: systemd may fire the timer this much after OnCalendar. */
export const TIMER_ACCURACY_MIN = 1;

/** expire.service's TimeoutStartSec: the longest the last backup (pg_dump, S3 upload, manifest) may run. */
export const EXPIRY_BACKUP_MIN = 20;

/** From `systemctl poweroff` to EC2 seeing the shutdown: compose stops its services (Elasticsearch takes the longest). */
export const POWEROFF_MARGIN_MIN = 5;

/** How long after ExpiresAt the off-box guard fires: the timer's slack, the backup, then the poweroff. */
export const OFF_BOX_DELAY_MIN = TIMER_ACCURACY_MIN + EXPIRY_BACKUP_MIN + POWEROFF_MARGIN_MIN;

/** When the Scheduler one-shot terminates a box that expires at `expiresAt`. */
export const offBoxGuardAt = (expiresAt: Date): Date => new Date(expiresAt.getTime() + OFF_BOX_DELAY_MIN * MINUTE_MS);
