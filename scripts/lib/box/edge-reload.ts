// Reloading the edge's configuration in place, without dropping a connection: `caddy reload` inside the
// container adapts the Caddyfile it is given and swaps the config through the admin API.
//   - The Caddyfile is piped from the active release: the container's own /etc/caddy/Caddyfile is the file of
//     the release it started with (a bind mount resolves the release symlink once, at start).
//   - {$VARS} are substituted when the Caddyfile is adapted, in the exec'd process: a value given to
//     `exec --env` applies at once (the allowed range), and the box's settings carry it to the next start.
import { composeArgv } from './compose.js';
import { COMPOSE_DIR, SETTINGS_ENV } from './layout.js';

/** The compose service of the edge proxy. */
export const EDGE_SERVICE = 'caddy';
/** The active release's Caddyfile on the box. */
export const EDGE_CONFIG_ON_BOX = `${COMPOSE_DIR}/caddy/Caddyfile`;
/** Caddy reads the config from stdin with "-" (caddy v2.11.4 cmd/main.go) and needs the adapter named then. */
export const CADDY_RELOAD: readonly string[] = ['caddy', 'reload', '--config', '-', '--adapter', 'caddyfile'];

const RELOAD_SCRIPT = 'file=$1; shift; "$@" <"$file"';

/** The reload; with `env`, the Caddyfile's {$VARS} take those values (a release's new environment for the edge). */
export const edgeReloadCommand = (file = EDGE_CONFIG_ON_BOX, env: Readonly<Record<string, string>> = {}): string[] => [
  'sh',
  '-c',
  RELOAD_SCRIPT,
  'sh',
  file,
  ...composeArgv('exec', '-T', ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]), EDGE_SERVICE, ...CADDY_RELOAD),
];

// Brings the box's range to `cidr`, once: nothing when the settings already say it; else, when Caddy runs, it
// reloads with the range first and writes the settings only then, so a failed reload leaves them as they were
// and the next run tries again; when Caddy is down, the settings alone (the next start reads them). Exported
// for compose's interpolation too: a release whose compose.yaml requires the range parses while the settings
// lack it. Prints what it did: unchanged, reloaded or written.
const RANGE_SCRIPT = [
  'set -eu',
  'settings=$1; cidr=$2; file=$3; shift 3',
  'if grep -qxF "PILLBOX_ALLOWED_CIDR=$cidr" "$settings"; then echo unchanged; exit 0; fi',
  'export PILLBOX_ALLOWED_CIDR="$cidr"',
  `running=$("$@" ps --status running --quiet ${EDGE_SERVICE})`,
  `[ -z "$running" ] || "$@" exec -T --env "PILLBOX_ALLOWED_CIDR=$cidr" ${EDGE_SERVICE} ${CADDY_RELOAD.join(' ')} <"$file"`,
  'tmp=$(mktemp "$settings.XXXXXX")',
  "grep -v '^PILLBOX_ALLOWED_CIDR=' \"$settings\" >\"$tmp\" || true",
  "printf 'PILLBOX_ALLOWED_CIDR=%s\\n' \"$cidr\" >>\"$tmp\"",
  'chmod 0644 "$tmp" && mv "$tmp" "$settings"',
  'if [ -n "$running" ]; then echo reloaded; else echo written; fi',
].join('\n');

export type RangeOutcome = 'unchanged' | 'reloaded' | 'written';

/** The allowed range on a running box: into its running edge in place, and into its settings. */
export const edgeRangeCommand = (cidr: string, settings = SETTINGS_ENV, file = EDGE_CONFIG_ON_BOX): string[] => ['sh', '-c', RANGE_SCRIPT, 'sh', settings, cidr, file, ...composeArgv()];

export function parseRangeOutcome(stdout: string): RangeOutcome {
  const word = stdout.trim().split('\n').at(-1)?.trim();
  if (word === 'unchanged' || word === 'reloaded' || word === 'written') return word;
  throw new Error(`unexpected answer from the box: ${JSON.stringify(stdout.slice(0, 200))}`);
}
