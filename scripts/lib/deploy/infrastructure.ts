// What a deploy applies besides the app: the infrastructure services whose configuration changed
// between the release that served and the one just activated, as data, and the commands for them.
//
// Compose recreates a container only when its service's model hash (compose v5.1.0,
// pkg/compose/convergence.go mustRecreate, hash.go ServiceHash) or its image changed. The model
// holds paths, not the content of bind-mounted files, and no build inputs: a new Caddyfile,
// elk/*.yml or set-up source in a release is invisible to it. So the box compares the two
// releases' files (each service's inputs below), and:
//   - a changed set-up source rebuilds the set-up image;
//   - a changed mounted file recreates that service (--force-recreate: its model looks unchanged);
//   - then every backend service converges with `up --wait` (compose recreates what compose.yaml or
//     the pinned versions changed, re-runs the idempotent set-up jobs, and waits until healthy);
//   - the edge goes last and is never dropped for a Caddyfile change: Caddy reloads it in place
//     (`caddy reload`, a graceful config swap through the admin API). Only a change to its own model
//     (image, ports, environment) makes compose recreate it, a second or two without the edge.

import { composeArgv } from '../box/compose.js';
import { EDGE_SERVICE, edgeReloadCommand } from '../box/edge-reload.js';
import { RELEASES_DIR } from '../box/layout.js';

/** Release files every service's compose model is made of: compose itself decides which containers they change. */
export const MODEL_INPUTS: readonly string[] = ['compose/compose.yaml', 'compose/.env'];

/** What the set-up image is built from (elk/setup/Dockerfile's COPY lines). */
const SETUP_BUILD = ['package.json', 'package-lock.json', 'tsconfig.base.json', 'app/package.json', 'elk/setup'];

/** The edge's configuration file in a release, reloaded in place. */
export const EDGE_CONFIG = 'compose/caddy/Caddyfile';

export interface ServiceInputs {
  /** Release files the container bind-mounts and reads at start. */
  mounts: readonly string[];
  /** Release files its image is built from on the box. */
  build: readonly string[];
}

/**
 * Every service but the app's two colors, and what it reads from a release (tests check this against
 * compose.yaml). PostgreSQL's init script is left out: its entrypoint runs it on an empty data directory only.
 */
export const INFRA_SERVICES: Readonly<Record<string, ServiceInputs>> = {
  postgres: { mounts: [], build: [] },
  elasticsearch: { mounts: ['elk/elasticsearch/elasticsearch.yml'], build: [] },
  setup: { mounts: [], build: SETUP_BUILD },
  kibana: { mounts: ['elk/kibana/kibana.yml'], build: [] },
  'kibana-setup': { mounts: [], build: SETUP_BUILD },
  'apm-server': { mounts: ['elk/apm-server/apm-server.yml'], build: [] },
  'heartbeat-setup': { mounts: ['elk/heartbeat/heartbeat.yml'], build: [] },
  heartbeat: { mounts: ['elk/heartbeat/heartbeat.yml'], build: [] },
  [EDGE_SERVICE]: { mounts: [EDGE_CONFIG], build: [] },
};

const BACKENDS = Object.keys(INFRA_SERVICES).filter((s) => s !== EDGE_SERVICE);

/** Every release path a deploy compares, once each. */
export const WATCHED_INPUTS: readonly string[] = [...new Set([...MODEL_INPUTS, ...Object.values(INFRA_SERVICES).flatMap((s) => [...s.mounts, ...s.build])])];

// Prints each watched path whose files differ between the two releases (a checksum of every file under it;
// a path in neither release is unchanged). sha256sum, find and sort are coreutils/findutils, on every box.
const CHANGED_SCRIPT = [
  'from=$1; to=$2; shift 2',
  'sums() { (cd "$1" && find "$2" -type f -exec sha256sum {} + 2>/dev/null | sort); }',
  'for p; do [ "$(sums "$from" "$p")" = "$(sums "$to" "$p")" ] || echo "$p"; done',
].join('\n');

export const changedInputsCommand = (from: string, to: string, releases = RELEASES_DIR): string[] => [
  'sh',
  '-c',
  CHANGED_SCRIPT,
  'sh',
  `${releases}/${from}`,
  `${releases}/${to}`,
  ...WATCHED_INPUTS,
];

export function parseChangedInputs(stdout: string): string[] {
  const paths = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const unknown = paths.filter((p) => !WATCHED_INPUTS.includes(p));
  if (unknown.length > 0) throw new Error(`unexpected answer from the box: ${JSON.stringify(stdout.slice(0, 200))}`);
  return paths;
}

export interface InfraPlan {
  /** Services whose image is rebuilt. */
  build: string[];
  /** Backends recreated although their model looks unchanged (a mounted file changed). */
  recreate: string[];
  /** Whether the backends converge (and are waited for): anything of theirs changed. */
  converge: boolean;
  /** The edge: converge its model (compose recreates it only if that changed), reload its Caddyfile in place. */
  edge: { converge: boolean; reload: boolean };
}

export function planInfrastructure(changed: readonly string[]): InfraPlan {
  const touches = (paths: readonly string[]) => paths.some((p) => changed.includes(p));
  const model = touches(MODEL_INPUTS);
  const build = BACKENDS.filter((s) => touches(INFRA_SERVICES[s]!.build));
  const recreate = BACKENDS.filter((s) => touches(INFRA_SERVICES[s]!.mounts));
  return {
    build,
    recreate,
    converge: model || build.length > 0 || recreate.length > 0,
    edge: { converge: model, reload: touches(INFRA_SERVICES[EDGE_SERVICE]!.mounts) },
  };
}

export interface InfraStep {
  /** One line for progress output. */
  what: string;
  argv: string[];
  /** Seconds the command may run on the box. */
  seconds: number;
}

/** Seconds the backends may take to be healthy again (Elasticsearch and Kibana cold-starting included). */
export const INFRA_WAIT_SECONDS = 600;
/**
 * Seconds per kind of step: the set-up image builds from the layer cache of the boot's build; a recreate
 * without --wait waits for the old container's stop (Elasticsearch's grace period at most); compose's own
 * work on top of each wait.
 */
const SECONDS = { build: 600, recreate: 180, converge: INFRA_WAIT_SECONDS + 60, edge: 120, reload: 60 } as const;


/** The commands, in an order that never drops the edge for a file change: backends first, the edge last. */
export function infrastructureSteps(plan: InfraPlan): InfraStep[] {
  const steps: InfraStep[] = [];
  if (plan.build.length > 0) steps.push({ what: `Build ${plan.build.join(', ')}`, argv: composeArgv('build', ...plan.build), seconds: SECONDS.build });
  if (plan.recreate.length > 0) {
    steps.push({
      what: `Recreate ${plan.recreate.join(', ')} (their configuration files changed)`,
      argv: composeArgv('up', '--detach', '--no-deps', '--force-recreate', ...plan.recreate),
      seconds: SECONDS.recreate,
    });
  }
  if (plan.converge) {
    steps.push({
      what: 'Apply compose.yaml to the backends and wait until they are healthy',
      argv: composeArgv('up', '--detach', '--wait', '--wait-timeout', String(INFRA_WAIT_SECONDS), ...BACKENDS),
      seconds: SECONDS.converge,
    });
  }
  if (plan.edge.converge) {
    steps.push({
      what: `Apply compose.yaml to ${EDGE_SERVICE} (recreated only if its own settings changed)`,
      argv: composeArgv('up', '--detach', '--wait', '--no-deps', EDGE_SERVICE),
      seconds: SECONDS.edge,
    });
  }
  if (plan.edge.reload) steps.push({ what: 'Reload the Caddyfile in place', argv: edgeReloadCommand(), seconds: SECONDS.reload });
  return steps;
}

/** The longest the steps can take: everything changed. */
export const infrastructureBudgetSeconds = (): number => infrastructureSteps(planInfrastructure(WATCHED_INPUTS)).reduce((sum, s) => sum + s.seconds, 0);
