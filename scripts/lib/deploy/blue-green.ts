// The blue/green swap behind Caddy, as data, and the commands each step sends to the box.
//
// Two colors of the app: `app`, the compose service that always serves at rest, and `app-next`,
// which exists only during a deploy. Caddy sends every request to `app`, unless the route file
// exists in its data volume, which sends everything to `app-next` (the Caddyfile's file matcher
// reads the disk on each request: a switch needs no reload and closes no client connection).
//
// A deploy starts app-next on the new image, waits for its /readyz, moves traffic to it, waits
// until Caddy has no request in flight to app, and stops app (its SIGTERM drain finishes what
// it holds). It then recreates app on the new image behind the same switch and moves traffic
// back, so at rest nothing but `app` exists: the boot unit, logs, status and Heartbeat see one
// app service, and no state outlives a deploy except the image.
//
// compose/caddy/Caddyfile, compose/compose.yaml and these constants must agree (tests check).

import { composeArgv } from '../box/compose.js';
import { basename, dirname } from 'node:path/posix';
import { EDGE_SERVICE } from '../box/edge-reload.js';
import { APP_CONTAINER_PORT, EDGE_ROUTE_PATH } from '../box/layout.js';

export const APP_COLORS = ['app', 'app-next'] as const;
export type AppColor = (typeof APP_COLORS)[number];

/** Where the route file lives inside the Caddy container ({$XDG_DATA_HOME}/pillbox; the image sets /data). */
export const ROUTE_DIR = `/data/${dirname(EDGE_ROUTE_PATH)}`;
export const ROUTE_FILE = basename(EDGE_ROUTE_PATH);
/** Caddy's admin API inside its container (the Caddyfile's `admin` setting in compose.yaml). */
export const EDGE_ADMIN_URL = 'http://127.0.0.1:2019';
/** The address Caddy dials for each color: a network alias that exists on the edge network only. */
export const UPSTREAMS: Readonly<Record<AppColor, string>> = {
  app: `edge-app:${APP_CONTAINER_PORT}`,
  'app-next': `edge-app-next:${APP_CONTAINER_PORT}`,
};

export type SwapStep =
  /** Create (or recreate) the color's container on the image the app service is tagged with. */
  | { kind: 'start'; color: AppColor }
  /** Wait until the color answers /readyz from inside its container. */
  | { kind: 'ready'; color: AppColor }
  /** Send every new request to the color. */
  | { kind: 'route'; color: AppColor }
  /** Wait until Caddy has no request in flight to the color. */
  | { kind: 'drained'; color: AppColor }
  /** SIGTERM: the app stops accepting and finishes what it holds; app-next is also removed. */
  | { kind: 'stop'; color: AppColor };

const step = <K extends SwapStep['kind']>(kind: K, color: AppColor) => ({ kind, color }) as Extract<SwapStep, { kind: K }>;

/** Traffic comes (back) to `app`, recreated on the image now tagged, and app-next goes away. */
const RETURN_TO_APP: readonly SwapStep[] = [
  step('start', 'app'),
  step('ready', 'app'),
  step('route', 'app'),
  step('drained', 'app-next'),
  step('stop', 'app-next'),
];

/** The whole swap from rest: app-next takes the traffic while app is replaced, then hands it back. */
export const SWAP: readonly SwapStep[] = [
  // A leftover of an interrupted deploy that serves nothing.
  step('stop', 'app-next'),
  step('start', 'app-next'),
  step('ready', 'app-next'),
  step('route', 'app-next'),
  step('drained', 'app'),
  step('stop', 'app'),
  ...RETURN_TO_APP,
];

/**
 * The steps of a deploy, from where traffic goes now: at rest the whole swap; if an interrupted
 * deploy left traffic on app-next, app-next already covers for app, which only has to come back.
 */
export const swapPlan = (routedTo: AppColor): readonly SwapStep[] => (routedTo === 'app' ? SWAP : RETURN_TO_APP);

/** Where a step of a plan sits: before traffic left app, while app-next serves, or after traffic came back. */
export type SwapPhase = 'before' | 'during' | 'after';

export function phaseOf(plan: readonly SwapStep[], index: number): SwapPhase {
  const out = plan.findIndex((s) => s.kind === 'route' && s.color === 'app-next');
  const back = plan.findIndex((s) => s.kind === 'route' && s.color === 'app');
  if (index < out) return 'before';
  return index <= back ? 'during' : 'after';
}

/**
 * What undoes a swap that failed before traffic came back to app, once the previous image is tagged
 * again: before traffic moved, app still serves and only app-next goes; while app-next serves, app
 * comes back on the previous image and takes the traffic back.
 */
export const recoveryFor = (phase: Exclude<SwapPhase, 'after'>): readonly SwapStep[] => (phase === 'before' ? [step('stop', 'app-next')] : RETURN_TO_APP);

// --- the commands on the box ---

const inEdge = (...argv: string[]): string[] => composeArgv('exec', '-T', EDGE_SERVICE, ...argv);

// Creates or removes the route file; the directory is an argument so tests run the same script on loopback.
export const ROUTE_SCRIPTS: Readonly<Record<AppColor, string>> = {
  'app-next': `mkdir -p "$1" && touch "$1/${ROUTE_FILE}"`,
  app: `rm -f "$1/${ROUTE_FILE}"`,
};

// Prints the color the route file selects.
export const ROUTE_PROBE_SCRIPT = `if [ -e "$1/${ROUTE_FILE}" ]; then echo app-next; else echo app; fi`;

// Polls Caddy's upstream counters (the image's BusyBox wget) until the upstream has no request in flight. Past the
// limit it goes on, saying so: the stop that follows is the app's own drain, which finishes what it holds anyway.
export const DRAINED_SCRIPT = [
  'admin=$1; upstream=$2; limit=$3',
  'end=$(( $(date +%s) + limit ))',
  'while :; do',
  '  list=$(wget -q -O - "$admin/reverse_proxy/upstreams") || { echo "Caddy\'s admin API did not answer at $admin" >&2; exit 1; }',
  '  case "$list" in *"\\"address\\":\\"$upstream\\",\\"num_requests\\":0,"*) echo drained; exit 0 ;; esac',
  '  if [ "$(date +%s)" -ge "$end" ]; then echo "requests still in flight to $upstream after ${limit}s; its drain finishes them"; exit 0; fi',
  '  sleep 0.2',
  'done',
].join('\n');

/**
 * Seconds a ready color is left before traffic is sent to it or the other color leaves: the edge asks each color's
 * /readyz every second (the Caddyfile's health_interval) and a color it last saw down stays out of its pool until
 * the next check passes. Without this wait the edge could still count the new color out when the old one stops:
 * no upstream, and Caddy 2.6 answers a POST 503 at once (2.11 waits for one, up to lb_try_duration).
 */
export const EDGE_HEALTH_SETTLE_SECONDS = 2;

// Polls the color's /readyz from inside its container (node's fetch) until ready, stopped, or out of time; once
// ready, waits for the edge's next health check to see it.
export const READY_SCRIPT = [
  'svc=$1; url=$2; limit=$3; settle=$4; shift 4',
  'end=$(( $(date +%s) + limit ))',
  'while :; do',
  '  c=$("$@" ps --quiet "$svc" | head -n 1)',
  '  if [ -z "$c" ] || [ "$(docker inspect --format "{{.State.Running}}" "$c" 2>/dev/null)" != true ]; then echo "$svc stopped before it was ready" >&2; exit 1; fi',
  "  if docker exec \"$c\" node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \"$url\"; then sleep \"$settle\"; echo ready; exit 0; fi",
  '  if [ "$(date +%s)" -ge "$end" ]; then echo "$svc was not ready after ${limit}s" >&2; exit 1; fi',
  '  sleep 1',
  'done',
].join('\n');

export interface StepLimits {
  /** Seconds a color may take to answer /readyz. */
  readySeconds: number;
  /** Seconds Caddy may keep requests in flight to the color being left. */
  drainSeconds: number;
}

/** Seconds a step's command may run on the box: its own wait, plus what compose needs to start or stop a container. */
export function swapStepSeconds(s: SwapStep, limits: StepLimits): number {
  // A stop waits for the app's drain: the service's stop_grace_period (30 s) at most; a start needs no pull.
  const base = { start: 60, ready: limits.readySeconds + EDGE_HEALTH_SETTLE_SECONDS, route: 0, drained: limits.drainSeconds, stop: 30 }[s.kind];
  return base + 30;
}

/** The argv one step sends to the box. */
export function swapCommand(s: SwapStep, limits: StepLimits): string[] {
  switch (s.kind) {
    case 'start':
      // --no-deps: PostgreSQL already runs; --force-recreate: a new container even if the image tag looks unchanged.
      return composeArgv('up', '--detach', '--no-deps', '--force-recreate', s.color);
    case 'ready':
      return ['sh', '-c', READY_SCRIPT, 'sh', s.color, `http://127.0.0.1:${APP_CONTAINER_PORT}/readyz`, String(limits.readySeconds), String(EDGE_HEALTH_SETTLE_SECONDS), ...composeArgv()];
    case 'route':
      return inEdge('sh', '-c', ROUTE_SCRIPTS[s.color], 'sh', ROUTE_DIR);
    case 'drained':
      return inEdge('sh', '-c', DRAINED_SCRIPT, 'sh', EDGE_ADMIN_URL, UPSTREAMS[s.color], String(limits.drainSeconds));
    case 'stop':
      // app is recreated next, so only stopped; app-next must not outlive the deploy.
      return s.color === 'app' ? composeArgv('stop', s.color) : composeArgv('rm', '--stop', '--force', s.color);
  }
}

export const routeProbeCommand = (): string[] => inEdge('sh', '-c', ROUTE_PROBE_SCRIPT, 'sh', ROUTE_DIR);

export function parseRouteProbe(stdout: string): AppColor {
  const color = stdout.trim();
  if (color !== 'app' && color !== 'app-next') throw new Error(`unexpected answer from the edge: ${JSON.stringify(stdout.slice(0, 80))}`);
  return color;
}

/** One line for progress output. */
export function describeStep(s: SwapStep): string {
  switch (s.kind) {
    case 'start':
      return `Start ${s.color} on the app image`;
    case 'ready':
      return `Wait for ${s.color} to answer /readyz`;
    case 'route':
      return `Send traffic to ${s.color}`;
    case 'drained':
      return `Wait for the requests in flight to ${s.color} to finish`;
    case 'stop':
      return `Stop ${s.color} (it drains)`;
  }
}
