// The commands `npm run deploy` sends to the box, as argv built by pure functions.
//
// Order: ship the commit's source archive (to the project bucket; ship.ts), back up when the
// deploy migrates, fetch the archive on the box (checked against its SHA-256) and activate
// it, build the new app image from the activated release, then swap it in behind the edge
// (blue-green.ts). A broken build or a new version that never gets ready leaves the serving
// container untouched; every failure restores the previous image tag and release.

import { BACKUP_TIMEOUT_SECONDS } from '../backup/plan.js';
import { composeArgv } from '../box/compose.js';
import { BOX_DIR, COMMIT_FILE, COMPOSE_PROJECT, RELEASES_DIR, ROLLBACK_COMMIT_FILE, SETTINGS_ENV, SOURCE_BIN } from '../box/layout.js';
import { SSM_MARGIN_SECONDS } from '../box/ssm-run.js';
import { APP_COLORS, recoveryFor, SWAP, swapStepSeconds, type SwapStep } from './blue-green.js';
import { infrastructureBudgetSeconds } from './infrastructure.js';

export const APP_SERVICE = 'app';
/** The name compose gives the image it builds for the app (the service has `build:` and no `image:`). */
export const BUILT_APP_IMAGE = `${COMPOSE_PROJECT}-${APP_SERVICE}`;
/** Keeps the previous image from being pruned, and names it for a manual rollback. */
export const ROLLBACK_TAG = 'pillbox-app:rollback';

/**
 * Seconds each step may run on the box. The build runs in the capped builder (APP_BUILDER), whose own
 * cache makes later builds quick; the first deploy's build is cold and may page to swap, hence 20 minutes.
 * `upload` is the allowance for the source archive's upload from the operator's machine (a
 * few MB to S3), counted in the budget only: the SDK's own retries bound it.
 */
export const STEP_TIMEOUTS = { quick: 60, upload: 120, fetch: 180, build: 1200, drain: 30 } as const;

/** Seconds each app color may take to answer /readyz during the swap, by default. */
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 180;

/**
 * The longest a deploy can take: the upload of the source archive, then each command of
 * deployApp at its timeout, through the whole swap failing at its end and the rollback after it
 * (the app's logs, the restore of image and release, the previous version brought back into
 * app), each plus the time SSM may take to report its end; with `backup`, the backup a deploy
 * that changes migrations takes first.
 */
export function deployBudgetSeconds(healthTimeoutSeconds: number, { backup }: { backup: boolean }): number {
  const { quick, upload, fetch, build, drain } = STEP_TIMEOUTS;
  const swap = (steps: readonly SwapStep[]) => steps.map((s) => swapStepSeconds(s, { readySeconds: healthTimeoutSeconds, drainSeconds: drain }));
  const before = backup ? [BACKUP_TIMEOUT_SECONDS] : [];
  // After the swap: the releases compared, both releases' edge and database models read, the infrastructure steps
  // (infrastructure.ts), all of them at worst, and the applied release recorded.
  const afterwards = [quick, quick, quick, infrastructureBudgetSeconds(), quick];
  // The alert engine's pause before the build and its resume after the swap (alerts-pause.ts): two quick steps.
  const forward = [quick, quick, fetch, quick, quick, quick, build, ...swap(SWAP), quick, ...afterwards];
  const rollback = [quick, quick, quick, ...swap(recoveryFor('during'))];
  const onTheBox = [...before, ...forward, ...rollback].reduce((sum, seconds) => sum + seconds + SSM_MARGIN_SECONDS, 0);
  // The upload runs from the operator's machine, not through SSM: no margin.
  return upload + onTheBox;
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

/**
 * Exit 0 when the box's settings carry the allowed range, which the edge of every release since the edge enforced
 * it requires (compose.yaml stops without it); 1 when they do not (a box provisioned before).
 */
export const rangeSetCommand = (settings = SETTINGS_ENV): string[] => ['grep', '-q', '^PILLBOX_ALLOWED_CIDR=.', settings];

/** Unpacks the commit's archive beside the active release, after checking its SHA-256. */
export const fetchCommand = (source: { sha: string; sha256: string; key: string }): string[] => [SOURCE_BIN, 'fetch', source.sha, source.sha256, source.key];
/** Points the box's source at an unpacked release (one rename, so a rollback is one too). */
export const checkoutCommand = (sha: string): string[] => [SOURCE_BIN, 'activate', sha];
export const tagCommand = (image: string, tag: string): string[] => ['docker', 'image', 'tag', image, tag];

// Tags the serving image for a rollback and records its commit beside it, so `npm run rollback` knows which release goes with it.
const KEEP_ROLLBACK_SCRIPT = 'docker image tag "$1" "$2" && printf \'%s\\n\' "$3" >"$4"';
export const keepRollbackCommand = (imageId: string, commit: string, file = ROLLBACK_COMMIT_FILE): string[] => ['sh', '-c', KEEP_ROLLBACK_SCRIPT, 'sh', imageId, ROLLBACK_TAG, commit, file];

// Prints the recorded rollback commit and the rollback image's id; exit 3 when either is missing, or the release was removed.
const ROLLBACK_TARGET_SCRIPT = [
  'file=$1; tag=$2; releases=$3; marker=$4',
  '[ -s "$file" ] || { echo "no rollback recorded" >&2; exit 3; }',
  'commit=$(cat "$file")',
  '[ -f "$releases/$commit/$marker" ] || { echo "release $commit is no longer on the box" >&2; exit 3; }',
  'id=$(docker image inspect --format \'{{.Id}}\' "$tag" 2>/dev/null) || { echo "no $tag image" >&2; exit 3; }',
  'echo "$commit"',
  'echo "$id"',
].join('\n');
export const rollbackTargetCommand = (file = ROLLBACK_COMMIT_FILE, releases = RELEASES_DIR): string[] => ['sh', '-c', ROLLBACK_TARGET_SCRIPT, 'sh', file, ROLLBACK_TAG, releases, COMMIT_FILE];

export interface RollbackTarget {
  commit: string;
  /** The id of the image tagged ROLLBACK_TAG (sha256:...). */
  imageId: string;
}

export function parseRollbackTarget(stdout: string): RollbackTarget {
  const [commit = '', imageId = ''] = stdout.trim().split('\n').map((l) => l.trim());
  if (!/^[0-9a-f]{40}$/.test(commit) || !imageId.startsWith('sha256:')) throw new Error(`unexpected answer from the box: ${JSON.stringify(stdout.slice(0, 200))}`);
  return { commit, imageId };
}

/**
 * The BuildKit builder a deploy builds the app in: its own container with a hard memory cap, because BuildKit inside
 * dockerd ignores `build --memory` (compose v5.1.0 cmd/compose/build.go: "Not supported by BuildKit"), while
 * buildx's docker-container driver applies `memory` and `memory-swap` to the builder's container (buildx v0.32.1
 * driver/docker-container/factory.go, driver.go). The build takes the RAM the second color takes later (it ends
 * before app-next starts), and may spill to swap above that, slower but never into the stack's memory.
 */
export const APP_BUILDER = {
  // buildx v0.32.1's default is the floating moby/buildkit:buildx-stable-1 (driver/bkimage/bkimage.go); pinned to
  // the BuildKit its go.mod requires.
  image: 'moby/buildkit:v0.28.0',
  memory: '320m',
  memorySwap: '1024m',
  // One build step at a time: BuildKit otherwise runs the Dockerfile's independent stages together (two npm ci, apt
  // and tsc) inside the cap. `[worker.oci] max-parallelism` (moby/buildkit v0.28.0 docs/buildkitd.toml.md).
  maxParallelism: 1,
} as const;

/**
 * A builder's settings are fixed when it is created, so its name carries them: changed settings make a new builder
 * (and the old ones are removed), instead of a first deploy's settings living forever. Lower-case letters, digits and
 * `._-` only (buildx v0.32.1 store/util.go ValidateName).
 */
export const builderName = (b: { image: string; memory: string; memorySwap: string; maxParallelism: number } = APP_BUILDER): string =>
  `pillbox-build-${b.memory}-${b.memorySwap}-p${b.maxParallelism}-${b.image.split(':')[1] ?? 'latest'}`;

// Removes every other pillbox builder (a builder row of `buildx ls` shows its driver; its node rows show an endpoint),
// creates this one once (its buildkitd.toml is read at create time and kept by buildx: builder/builder.go, store/
// nodegroup.go), builds the app in it (compose loads the image into docker: bake's type=docker output), then stops
// it on any exit so it holds no memory between deploys; its cache volume stays. `restart-policy=no`: a box rebooted
// mid-build does not bring the builder back (the driver's default is unless-stopped, factory.go).
const BUILD_SCRIPT = [
  'set -eu',
  'builder=$1; image=$2; memory=$3; swap=$4; parallelism=$5; svc=$6; shift 6',
  "builders=$(docker buildx ls --format '{{.Name}} {{.DriverEndpoint}}')",
  'printf \'%s\\n\' "$builders" | while read -r name driver; do',
  '  case "$name" in "$builder") ;; pillbox-build*) if [ "$driver" = docker-container ]; then docker buildx rm "$name"; fi ;; esac',
  'done',
  'if ! docker buildx inspect "$builder" >/dev/null 2>&1; then',
  '  config=$(mktemp)',
  '  printf \'[worker.oci]\\n  max-parallelism = %s\\n\' "$parallelism" >"$config"',
  '  status=0',
  '  docker buildx create --name "$builder" --driver docker-container --driver-opt "image=$image" --driver-opt "memory=$memory"' +
    ' --driver-opt "memory-swap=$swap" --driver-opt restart-policy=no --driver-opt default-load=true --buildkitd-config "$config" >/dev/null || status=$?',
  '  rm -f "$config"',
  '  [ "$status" -eq 0 ] || { echo "could not create the BuildKit builder $builder (exit $status)" >&2; exit "$status"; }',
  'fi',
  'trap \'docker buildx stop "$builder" || true\' EXIT',
  '"$@" build --builder "$builder" "$svc"',
].join('\n');
/** The build with any compose invocation: the box's, or stack.yml's wrapper, which runs this same script on a runner. */
export const buildScriptArgv = (compose: readonly string[]): string[] => [
  'sh',
  '-c',
  BUILD_SCRIPT,
  'sh',
  builderName(),
  APP_BUILDER.image,
  APP_BUILDER.memory,
  APP_BUILDER.memorySwap,
  String(APP_BUILDER.maxParallelism),
  APP_SERVICE,
  ...compose,
];
export const buildCommand = (): string[] => buildScriptArgv(composeArgv());

/** Both colors: during a swap either may be the one that failed. */
export const appLogsCommand = (): string[] => composeArgv('logs', '--no-color', '--tail', '200', ...APP_COLORS);
