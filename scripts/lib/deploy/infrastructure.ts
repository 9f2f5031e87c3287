// What a deploy applies besides the app: the infrastructure services whose configuration changed
// between the release whose infrastructure was last applied and the one just activated, as data,
// and the commands for them.
//
// Compose recreates a container only when its service's model hash (compose v5.1.0,
// pkg/compose/convergence.go mustRecreate, hash.go ServiceHash) or its image changed. The model
// holds paths, not the content of bind-mounted files, and no build inputs: a new Caddyfile,
// elk/*.yml or set-up source in a release is invisible to it. So the box compares the two
// releases' files (each service's inputs below), and:
//   - a changed set-up source rebuilds the set-up image;
//   - a changed mounted file recreates that service (--force-recreate: its model looks unchanged);
//   - then the Elastic services converge with `up --wait` (compose recreates what compose.yaml or
//     the pinned versions changed, re-runs the idempotent set-up jobs, and waits until healthy);
//   - PostgreSQL is never restarted by a deploy (no backup, no drain would precede it): a change to
//     its model is reported, for the next restart after a backup;
//   - the edge is never recreated (that drops 80 and 443 for up to its grace period, caddy v2.11.4
//     modules/caddyhttp/app.go Stop): a new Caddyfile or environment is reloaded in place
//     (`caddy reload` with the new release's environment through `exec --env`); any other change to
//     its model (image, ports, limits) is reported, for the next restart of the stack.

import { composeArgv, releaseComposeArgv } from '../box/compose.js';
import { EDGE_SERVICE, edgeReloadCommand } from '../box/edge-reload.js';
import { INFRA_RELEASE_FILE, RELEASES_DIR, STACK_UNIT } from '../box/layout.js';

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
  filebeat: { mounts: ['elk/filebeat/filebeat.yml'], build: [] },
  // Its config, and the rules and test rule directories (compared file by file).
  elastalert: { mounts: ['elk/elastalert/config.yaml', 'elk/elastalert/rules', 'elk/elastalert/test'], build: [] },
  [EDGE_SERVICE]: { mounts: [EDGE_CONFIG], build: [] },
};

/**
 * In a profile only some boxes start (box/stack-profiles.ts). Naming a service on compose's command line starts it
 * whatever the profiles, so a deploy never names these: a change reaches them at the stack's next start.
 */
const PROFILED_SERVICES: readonly string[] = ['filebeat'];

/** The database: its model is compared, never applied by a deploy. */
export const DATABASE_SERVICE = 'postgres';
const BACKENDS = Object.keys(INFRA_SERVICES).filter((s) => s !== EDGE_SERVICE);
/** What a deploy converges: every backend but the database and the profiled services. */
const CONVERGED = BACKENDS.filter((s) => s !== DATABASE_SERVICE && !PROFILED_SERVICES.includes(s));

/** Every release path a deploy compares, once each. */
export const WATCHED_INPUTS: readonly string[] = [...new Set([...MODEL_INPUTS, ...Object.values(INFRA_SERVICES).flatMap((s) => [...s.mounts, ...s.build])])];

// Prints the release compared from (the recorded one when it names a commit, else the fallback), then each
// watched path whose files differ between the two releases (a checksum of every file under it; a path in
// neither release is unchanged, and a release no longer on the box has no files). sha256sum, find and sort
// are coreutils/findutils, on every box.
const CHANGED_SCRIPT = [
  'record=$1; from=$2; releases=$3; to=$4; shift 4',
  'recorded=$(cat "$record" 2>/dev/null || true)',
  'case $recorded in *[!0-9a-f]* | "") ;; *) [ ${#recorded} -eq 40 ] && from=$recorded ;; esac',
  'echo "from $from"',
  'sums() { [ -d "$1" ] || return 0; (cd "$1" && find "$2" -type f -exec sha256sum {} + 2>/dev/null | sort); }',
  'for p; do [ "$(sums "$releases/$from" "$p")" = "$(sums "$releases/$to" "$p")" ] || echo "$p"; done',
].join('\n');

/** Compares `to` with the release last applied (the record), or with `fallback` when there is no record. */
export const changedInputsCommand = (fallback: string, to: string, { releases = RELEASES_DIR, record = INFRA_RELEASE_FILE } = {}): string[] => [
  'sh',
  '-c',
  CHANGED_SCRIPT,
  'sh',
  record,
  fallback,
  releases,
  to,
  ...WATCHED_INPUTS,
];

export interface ChangedInputs {
  /** The release compared from. */
  from: string;
  paths: string[];
}

export function parseChangedInputs(stdout: string): ChangedInputs {
  const [first = '', ...rest] = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const from = /^from ([0-9a-f]{40})$/.exec(first)?.[1];
  const unknown = rest.filter((p) => !WATCHED_INPUTS.includes(p));
  if (!from || unknown.length > 0) throw new Error(`unexpected answer from the box: ${JSON.stringify(stdout.slice(0, 200))}`);
  return { from, paths: rest };
}

/** Records `sha` as the release whose infrastructure is applied (one rename). */
export const recordAppliedCommand = (sha: string, record = INFRA_RELEASE_FILE): string[] => ['sh', '-c', 'printf \'%s\\n\' "$1" >"$2.tmp" && mv "$2.tmp" "$2"', 'sh', sha, record];

/** What a release's compose files make of the edge and the database (its model as compose renders it, and a hash). */
export interface ReleaseModels {
  /** The caddy service as `compose config --format json` renders it: no secret is in it (it has no depends_on). */
  caddy: Record<string, unknown>;
  /** `compose config --hash postgres`: the hash compose labels the container with, and compares to recreate it. */
  postgres: string;
}

// Renders a release's caddy service and the database's hash; "missing" for a release no longer on the box.
const MODELS_SCRIPT = [
  'set -eu',
  'dir=$1; shift',
  '[ -f "$dir/compose/compose.yaml" ] || { echo missing; exit 0; }',
  `caddy=$("$@" config --format json ${EDGE_SERVICE} | tr -d '\\n')`,
  `postgres=$("$@" config --hash ${DATABASE_SERVICE})`,
  'echo "caddy $caddy"',
  'echo "$postgres"',
].join('\n');

export const releaseModelsCommand = (sha: string, releases = RELEASES_DIR): string[] => {
  const dir = `${releases}/${sha}`;
  return ['sh', '-c', MODELS_SCRIPT, 'sh', dir, ...releaseComposeArgv(dir)];
};

export function parseReleaseModels(stdout: string): ReleaseModels | undefined {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines[0] === 'missing') return undefined;
  const caddyLine = lines.find((l) => l.startsWith('caddy '));
  const postgres = lines.map((l) => new RegExp(`^${DATABASE_SERVICE} (\\S+)$`).exec(l)?.[1]).find(Boolean);
  const project = caddyLine ? (JSON.parse(caddyLine.slice(6)) as { services?: Record<string, Record<string, unknown>> }) : undefined;
  const caddy = project?.services?.[EDGE_SERVICE];
  if (!caddy || !postgres) throw new Error(`unexpected answer from the box: ${JSON.stringify(stdout.slice(0, 200))}`);
  return { caddy, postgres };
}

/** The models of the release compared from (undefined when it is gone from the box) and of the new one. */
export interface ModelChange {
  from?: ReleaseModels;
  to: ReleaseModels;
}

export interface InfraPlan {
  /** Services whose image is rebuilt. */
  build: string[];
  /** Backends recreated although their model looks unchanged (a mounted file changed). */
  recreate: string[];
  /** Whether the Elastic services converge (and are waited for): anything of theirs changed. */
  converge: boolean;
  /** The edge's Caddyfile reloaded in place, with this environment (the new release's) when it is known. */
  reload?: { env?: Record<string, string> };
  /** One line each for what a deploy leaves to the next restart of the stack. */
  notes: string[];
}

/** JSON with keys in order, so two renderings of the same model compare equal. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));

const environmentOf = (caddy: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries((caddy['environment'] ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]));
const withoutEnvironment = (caddy: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(caddy).filter(([k]) => k !== 'environment'));

const RESTART = `\`sudo systemctl restart ${STACK_UNIT}\``;

/** The edge's and the database's part: a reload with the new environment, and the lines for the next restart. */
function planModels(models: ModelChange): { envChanged: boolean; notes: string[] } {
  const { from, to } = models;
  const notes: string[] = [];
  const envChanged = !from || canonical(environmentOf(from.caddy)) !== canonical(environmentOf(to.caddy));
  if (!from || canonical(withoutEnvironment(from.caddy)) !== canonical(withoutEnvironment(to.caddy))) {
    const image = from && from.caddy['image'] !== to.caddy['image'] ? `image ${String(from.caddy['image'])} → ${String(to.caddy['image'])}` : 'its image, ports or limits may differ';
    notes.push(`${EDGE_SERVICE} changed (${image}): applied at the next ${RESTART}; a deploy never recreates the edge, which would drop ports 80 and 443.`);
  }
  if (!from || from.postgres !== to.postgres) notes.push(`${DATABASE_SERVICE} changed: applied at the next restart (${RESTART}), after \`npm run backup\`.`);
  return { envChanged, notes };
}

/** Whether the edge's and the database's models must be read: compose's own inputs, or the Caddyfile, changed. */
export const needsModels = (changed: readonly string[]): boolean => changed.some((p) => MODEL_INPUTS.includes(p) || p === EDGE_CONFIG);

export function planInfrastructure(changed: readonly string[], models?: ModelChange): InfraPlan {
  const touches = (paths: readonly string[]) => paths.some((p) => changed.includes(p));
  const build = CONVERGED.filter((s) => touches(INFRA_SERVICES[s]!.build));
  const recreate = CONVERGED.filter((s) => touches(INFRA_SERVICES[s]!.mounts));
  const { envChanged, notes: modelNotes } = models ? planModels(models) : { envChanged: false, notes: [] };
  const profiled = PROFILED_SERVICES.filter((s) => touches(INFRA_SERVICES[s]!.mounts)).map((s) => `${s} changed: applied at the stack's next start (${RESTART}), on a box whose type runs it.`);
  const notes = [...modelNotes, ...profiled];
  const reload = touches(INFRA_SERVICES[EDGE_SERVICE]!.mounts) || envChanged;
  return {
    build,
    recreate,
    converge: touches(MODEL_INPUTS) || build.length > 0 || recreate.length > 0,
    ...(reload ? { reload: models ? { env: environmentOf(models.to.caddy) } : {} } : {}),
    notes,
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
const SECONDS = { build: 600, recreate: 180, converge: INFRA_WAIT_SECONDS + 60, reload: 60 } as const;

/** The commands, in an order that never drops the edge: backends first, the edge's reload last. */
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
      what: `Apply compose.yaml to the Elastic services and wait until they are healthy (${DATABASE_SERVICE} is left as it runs)`,
      argv: composeArgv('up', '--detach', '--wait', '--wait-timeout', String(INFRA_WAIT_SECONDS), ...CONVERGED),
      seconds: SECONDS.converge,
    });
  }
  if (plan.reload) steps.push({ what: 'Reload the Caddyfile in place', argv: edgeReloadCommand(undefined, plan.reload.env), seconds: SECONDS.reload });
  return steps;
}

/** The longest the steps can take: everything changed. */
export const infrastructureBudgetSeconds = (): number => infrastructureSteps(planInfrastructure(WATCHED_INPUTS)).reduce((sum, s) => sum + s.seconds, 0);
