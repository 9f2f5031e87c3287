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

export const edgeReloadCommand = (file = EDGE_CONFIG_ON_BOX): string[] => ['sh', '-c', RELOAD_SCRIPT, 'sh', file, ...composeArgv('exec', '-T', EDGE_SERVICE, ...CADDY_RELOAD)];

// Replaces the range line of the settings by one rename, then reloads the active release's Caddyfile with it.
const RANGE_SCRIPT = [
  'settings=$1; cidr=$2; file=$3; shift 3',
  'tmp=$(mktemp "$settings.XXXXXX")',
  "grep -v '^PILLBOX_ALLOWED_CIDR=' \"$settings\" >\"$tmp\" || true",
  "printf 'PILLBOX_ALLOWED_CIDR=%s\\n' \"$cidr\" >>\"$tmp\"",
  'chmod 0644 "$tmp" && mv "$tmp" "$settings"',
  '"$@" <"$file"',
].join('\n');

/** A new allowed range on a running box: into its settings, and into the running edge in place. */
export const edgeRangeCommand = (cidr: string, settings = SETTINGS_ENV, file = EDGE_CONFIG_ON_BOX): string[] => [
  'sh',
  '-c',
  RANGE_SCRIPT,
  'sh',
  settings,
  cidr,
  file,
  ...composeArgv('exec', '-T', '--env', `PILLBOX_ALLOWED_CIDR=${cidr}`, EDGE_SERVICE, ...CADDY_RELOAD),
];
