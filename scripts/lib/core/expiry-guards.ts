// The two expiry guards and the one invariant between them: the box's own timer fires at
// ExpiresAt and takes a last backup before powering off; the Scheduler one-shot outside the
// box terminates it only once that can have finished, so it never cuts the last backup.
// Both sides read their figures here: expire.service's backup limit and TimeoutStartSec and
// expire.timer's AccuracySec are rendered from these, and the schedule's time is offBoxGuardAt().

const MINUTE_MS = 60_000;

/** expire.timer's AccuracySec: systemd may fire the timer this much after OnCalendar. */
export const TIMER_ACCURACY_MIN = 1;

/** The last backup's own limit (pg_dump, S3 upload, manifest): `timeout` stops it, so the poweroff always runs. */
export const EXPIRY_BACKUP_MIN = 19;

/** `timeout --kill-after`: a backup that ignores SIGTERM is killed this long after it. */
export const BACKUP_KILL_AFTER_S = 30;

/**
 * expire.service's TimeoutStartSec: the backup's limit, its kill grace and the poweroff
 * request, in whole minutes. Past it systemd fails the unit (ExecStart never runs), and
 * FailureAction=poweroff powers the box off anyway.
 */
export const EXPIRY_SERVICE_MIN = EXPIRY_BACKUP_MIN + Math.ceil(BACKUP_KILL_AFTER_S / 60);

/** backup.sh's wait for another backup's lock when the reason is expiry: the rest of the limit is the backup's own. */
export const EXPIRY_LOCK_WAIT_S = 300;

/** From `systemctl poweroff` to EC2 seeing the shutdown: compose stops its services (Elasticsearch takes the longest). */
export const POWEROFF_MARGIN_MIN = 5;

/** How long after ExpiresAt the off-box guard fires: the timer's slack, the expiry service, then the poweroff. */
export const OFF_BOX_DELAY_MIN = TIMER_ACCURACY_MIN + EXPIRY_SERVICE_MIN + POWEROFF_MARGIN_MIN;

/** When the Scheduler one-shot terminates a box that expires at `expiresAt`. */
export const offBoxGuardAt = (expiresAt: Date): Date => new Date(expiresAt.getTime() + OFF_BOX_DELAY_MIN * MINUTE_MS);
