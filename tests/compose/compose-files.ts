// Loading the compose files the way the invariant tests need them: parsed YAML plus the pinned versions.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type Tags } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const COMPOSE_DIR = `${ROOT}compose/`;

export interface Healthcheck {
  test?: string | string[];
}
/** A service's grant of a compose secret: the short syntax (a name) or the long one. */
export interface SecretGrant {
  source: string;
  uid?: string;
  gid?: string;
  mode?: string | number;
}
export const grantedSecrets = (service: Service): string[] => (service.secrets ?? []).map((g) => (typeof g === 'string' ? g : g.source));

export interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  restart?: string;
  pull_policy?: string;
  secrets?: (string | SecretGrant)[];
  memswap_limit?: string;
  stop_grace_period?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
  deploy?: { resources?: { limits?: { memory?: string } } };
  logging?: { driver?: string; options?: Record<string, string> };
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  ulimits?: Record<string, { soft: number; hard: number }>;
  sysctls?: Record<string, string | number>;
  profiles?: string[];
  user?: string;
  networks?: Record<string, { aliases?: string[] } | null>;
}
export interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  secrets?: Record<string, { environment?: string; file?: string }>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { ipam?: { config?: { subnet?: string }[] } }>;
}

// Compose's merge tags, kept as markers so tests can see them.
const composeTags: Tags = [
  { tag: '!reset', resolve: () => ({ $reset: true }) },
  { tag: '!override', collection: 'map', resolve: (map) => map },
  { tag: '!override', collection: 'seq', resolve: (seq) => seq },
];

export const readText = (relative: string): string => readFileSync(`${ROOT}${relative}`, 'utf8');

// `merge`: the app's two colors share one definition through a YAML merge key (`<<: *app`), as compose reads it.
export const loadCompose = (relative: string): ComposeFile => parse(readText(relative), { customTags: composeTags, merge: true }) as ComposeFile;

/** KEY=value lines of an env file; comments and blank lines skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq), line.slice(eq + 1)] as const;
    });
  return Object.fromEntries(entries);
}

/** Every variable a compose/config text interpolates: `${NAME}`, `${NAME:-x}`, `${NAME:?x}`, not `$${...}`. */
export function referencedVariables(text: string): string[] {
  const names = [...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string);
  return [...new Set(names)].sort();
}

/** Compose-style interpolation against a fixed set of values, enough to resolve image tags. */
export function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?][^}]*)?\}/g, (whole, name: string) => {
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    const fallback = whole.match(/:-([^}]*)\}$/);
    return fallback ? (fallback[1] as string) : '';
  });
}

/** A service's environment as the container gets it: compose's interpolation, with defaults where `env` is silent. */
export const containerEnvironment = (service: Service, env: Record<string, string> = {}): Record<string, string> =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(value, env)]));

/** "1280m", "1g" → MiB. */
export function mebibytes(size: string): number {
  const m = size.match(/^(\d+)([mg])$/i);
  if (!m) throw new Error(`unreadable memory size ${JSON.stringify(size)}`);
  return Number(m[1]) * ((m[2] as string).toLowerCase() === 'g' ? 1024 : 1);
}

export const isOneShot = (service: Service): boolean => service.restart === 'no';

/** "30s", "1m30s" → seconds. */
export function seconds(duration: string): number {
  const m = duration.match(/^(?:(\d+)m)?(?:(\d+)s)?$/);
  if (!m || duration === '') throw new Error(`unreadable duration ${JSON.stringify(duration)}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

/** Every service `name` waits for, directly or through the services it waits for. */
export function dependenciesOf(compose: ComposeFile, name: string, seen = new Set<string>()): Set<string> {
  for (const dep of Object.keys(compose.services[name]?.depends_on ?? {})) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    dependenciesOf(compose, dep, seen);
  }
  return seen;
}
