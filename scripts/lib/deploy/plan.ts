// The commands `npm run deploy` sends to the box, as argv built by pure functions.
//
// Order: fetch the commit's source archive (from the project bucket, checked against its
// SHA-256) and activate it, build the new app image, start it as a canary
// beside the serving app (same config, no published port) and wait for /readyz, and only
// then recreate the app service with it. A broken build or a canary that never gets
// ready leaves the serving container untouched; every failure restores the previous
// image tag and release.

import { BACKUP_TIMEOUT_SECONDS } from '../backup/plan.js';
import { composeArgv } from '../box/compose.js';
import { APP_CONTAINER_PORT, BOX_DIR, COMMIT_FILE, COMPOSE_PROJECT, SOURCE_BIN } from '../box/layout.js';
import { SSM_MARGIN_SECONDS } from '../box/ssm-run.js';

export const APP_SERVICE = 'app';
/** The name compose gives the image it builds for the app (the service has `build:` and no `image:`). */
export const BUILT_APP_IMAGE = `${COMPOSE_PROJECT}-${APP_SERVICE}`;
export const CANARY = 'pillbox-app-canary';
/** Keeps the previous image from being pruned, and names it for a manual rollback. */
export const ROLLBACK_TAG = 'pillbox-app:rollback';

/**
 * Seconds each step may run on the box. The build reuses the box's layer cache (the first,
 * cold build happens at boot, inside provision's stack wait), so 20 minutes is generous.
 */
export const STEP_TIMEOUTS = { quick: 60, fetch: 180, build: 1200, canary: 300 } as const;

/** Seconds the new version may take to become ready (canary) and healthy (swap) by default. */
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 180;

/**
 * The longest a deploy can take: each command of deployApp at its timeout, through a swap
 * that fails and the rollback after it (the app's logs, the restore, the old version
 * brought back), each plus the time SSM may take to report its end; with `backup`, the
 * backup a deploy that changes migrations takes first.
 */
export function deployBudgetSeconds(healthTimeoutSeconds: number, { backup }: { backup: boolean }): number {
  const { quick, fetch, build, canary } = STEP_TIMEOUTS;
  const health = healthTimeoutSeconds + quick;
  const before = backup ? [BACKUP_TIMEOUT_SECONDS] : [];
  const forward = [quick, fetch, quick, quick, build, quick, canary, health, quick, health];
  const rollback = [quick, quick, quick, health];
  return [...before, ...forward, ...rollback].reduce((sum, seconds) => sum + seconds + SSM_MARGIN_SECONDS, 0);
}

export interface Observed {
  commit: string;
  /** The image id the app container runs (sha256:...). */
  imageId: string;
  /** The image reference compose created it from, which the build re-points. */
  imageName: string;
}

// Prints the active release's commit, then "<image id> <image name>" of the app's container.
const OBSERVE_SCRIPT = [
  'commit=$1; svc=$2; shift 2',
  'cat "$commit"',
  'id=$("$@" ps --all --quiet "$svc" | head -n 1)',
  '[ -n "$id" ] || { echo "no $svc container on the box" >&2; exit 3; }',
  "docker inspect --format '{{.Image}} {{.Config.Image}}' \"$id\"",
].join('\n');

export const observeCommand = (commitFile = `${BOX_DIR}/${COMMIT_FILE}`): string[] => ['sh', '-c', OBSERVE_SCRIPT, 'sh', commitFile, APP_SERVICE, ...composeArgv()];

export function parseObserved(stdout: string): Observed {
  const [commit = '', image = ''] = stdout.trim().split('\n');
  const [imageId = '', imageName = ''] = image.trim().split(' ');
  if (!/^[0-9a-f]{40}$/.test(commit.trim()) || !imageId.startsWith('sha256:') || imageName === '') {
    throw new Error(`unexpected answer from the box: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  return { commit: commit.trim(), imageId, imageName };
}

/** Unpacks the commit's archive beside the active release, after checking its SHA-256. */
export const fetchCommand = (source: { sha: string; sha256: string; key: string }): string[] => [SOURCE_BIN, 'fetch', source.sha, source.sha256, source.key];
/** Points the box's source at an unpacked release (one rename, so a rollback is one too). */
export const checkoutCommand = (sha: string): string[] => [SOURCE_BIN, 'activate', sha];
export const tagCommand = (image: string, tag: string): string[] => ['docker', 'image', 'tag', image, tag];
export const buildCommand = (): string[] => composeArgv('build', APP_SERVICE);

/** `compose run` gives the canary the service's environment and networks but publishes no port. */
export const startCanaryCommand = (): string[] => composeArgv('run', '--detach', '--no-deps', '--name', CANARY, APP_SERVICE);

// Idempotent: no canary is fine.
export const removeCanaryCommand = (): string[] => ['sh', '-c', 'docker rm --force "$1" >/dev/null 2>&1 || true', 'sh', CANARY];

// Polls the canary's /readyz from inside it (node's fetch) until ready, exited, or out of time.
const CANARY_READY_SCRIPT = [
  'c=$1; url=$2; limit=$3',
  'end=$(( $(date +%s) + limit ))',
  'while :; do',
  '  if [ "$(docker inspect --format "{{.State.Running}}" "$c" 2>/dev/null)" != true ]; then echo "the canary $c stopped before it was ready" >&2; exit 1; fi',
  "  if docker exec \"$c\" node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \"$url\"; then echo ready; exit 0; fi",
  '  if [ "$(date +%s)" -ge "$end" ]; then echo "the canary $c was not ready after ${limit}s" >&2; exit 1; fi',
  '  sleep 2',
  'done',
].join('\n');

export const canaryReadyCommand = (limitSeconds: number): string[] => [
  'sh',
  '-c',
  CANARY_READY_SCRIPT,
  'sh',
  CANARY,
  `http://127.0.0.1:${APP_CONTAINER_PORT}/readyz`,
  String(limitSeconds),
];

export const canaryLogsCommand = (): string[] => ['docker', 'logs', '--tail', '200', CANARY];

/**
 * Recreates only the app with the image now tagged; `--wait` returns once its
 * healthcheck passes, or fails after the timeout.
 */
export const swapCommand = (waitSeconds: number): string[] => composeArgv('up', '--detach', '--no-deps', '--wait', '--wait-timeout', String(waitSeconds), APP_SERVICE);

export const appLogsCommand = (): string[] => composeArgv('logs', '--no-color', '--tail', '200', APP_SERVICE);
