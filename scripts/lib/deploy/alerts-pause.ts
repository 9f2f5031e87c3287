// The alert engine stops for a deploy's build and swap: with it, the t3.medium's host would keep less than 512 MiB
// while the builder or the second app color runs (compose/README.md, memory budget). The operator is at the keyboard
// for that window, and the engine catches up when it starts again: each rule resumes from the last run it recorded
// in its writeback index (elk/elastalert/config.yaml, old_query_limit), so a failure in the window still alerts, late.
import { COMPOSE_PROJECT } from '../box/layout.js';

/** The alert engine's service in compose/compose.yaml. */
export const ALERT_SERVICE = 'elastalert';

// By the compose labels, not `docker compose stop`: the release active when the deploy starts may predate the
// service (compose refuses a service it does not know), and the same containers must start again whichever release
// is active at the end. A box without the engine stops and starts nothing.
const containers = (state: string) =>
  `docker ps --quiet ${state} --filter label=com.docker.compose.project=${COMPOSE_PROJECT} --filter label=com.docker.compose.service=${ALERT_SERVICE}`;
const startStopped = `${containers('--all --filter status=exited')} | xargs -r docker start`;

/**
 * A transient systemd timer on the box starts the engine again should the deploy never get to it (the operator's
 * machine lost, Ctrl-C: deploy has no interrupt handler, and `docker stop`ped containers stay stopped under
 * `unless-stopped`). Armed before the stop, or nothing is stopped; replaced by the next pause, disarmed by the resume.
 */
export const RESUME_BACKSTOP_UNIT = 'pillbox-alerts-resume';
// Stopping a transient unit unloads it (systemd.unit(5), transient units), so the same name can be armed again.
const disarm = `systemctl stop ${RESUME_BACKSTOP_UNIT}.timer ${RESUME_BACKSTOP_UNIT}.service 2>/dev/null; systemctl reset-failed ${RESUME_BACKSTOP_UNIT}.service 2>/dev/null`;
const arm = (seconds: number) =>
  `systemd-run --quiet --unit=${RESUME_BACKSTOP_UNIT} --on-active=${seconds}s --timer-property=AccuracySec=10s /bin/sh -c '${startStopped}'`;

/** `backstopSeconds`: when the box starts the engine itself; longer than the whole deploy may take (plan.ts). */
export const pauseAlertsCommand = (backstopSeconds: number): string[] => ['sh', '-c', `${disarm}; ${arm(backstopSeconds)} && ${containers('')} | xargs -r docker stop`];
export const resumeAlertsCommand = (): string[] => ['sh', '-c', `${disarm}; ${startStopped}`];

export const PAUSE_NOTE =
  'Alerts are paused while the app is switched (memory for the build and the second app color); they resume and catch up after it (should this deploy never finish, the box resumes them itself within its time budget).';
export const resumeFailedNote = (why: string): string =>
  `Alerts did not resume (${why}): start them with \`npm run exec -- start ${ALERT_SERVICE}\`.`;
