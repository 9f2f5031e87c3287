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
export const pauseAlertsCommand = (): string[] => ['sh', '-c', `${containers('')} | xargs -r docker stop`];
export const resumeAlertsCommand = (): string[] => ['sh', '-c', `${containers('--all --filter status=exited')} | xargs -r docker start`];

export const PAUSE_NOTE = 'Alerts are paused for the build and swap (memory for the second app color); they resume and catch up after it.';
export const resumeFailedNote = (why: string): string =>
  `Alerts did not resume (${why}): start them with \`npm run exec -- start ${ALERT_SERVICE}\`.`;
