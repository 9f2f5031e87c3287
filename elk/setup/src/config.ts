// The setup job's settings, parsed once from the environment; nothing below main.ts reads process.env.
import { SetupError } from './errors.js';

export type Phase = 'elasticsearch' | 'kibana';

export interface SetupConfig {
  phase: Phase;
  elasticsearchUrl: string;
  kibanaUrl: string;
  elasticPassword: string;
  /** Only the elasticsearch phase needs these four; filebeatPassword is '' on a box provisioned before it existed. */
  kibanaSystemPassword: string;
  apmServerPassword: string;
  heartbeatPassword: string;
  filebeatPassword: string;
  /** '' like filebeatPassword on a box provisioned before the alert engine. */
  elastalertPassword: string;
  boxStatusPassword: string;
  apmRetentionDays: number;
  heartbeatRetentionDays: number;
  logsRetentionDays: number;
  elasticsearchTimeoutMs: number;
  kibanaTimeoutMs: number;
}

type Env = Record<string, string | undefined>;
/** Reads a secret file; injected so parsing stays free of I/O in tests. */
export type ReadSecretFile = (path: string) => string;

const PHASES: readonly Phase[] = ['elasticsearch', 'kibana'];
// Elasticsearch rejects native-realm passwords shorter than this.
const MIN_PASSWORD_LENGTH = 6;

/** NAME, or the file NAME_FILE points at (a compose secret under /run/secrets), as the Elastic images do. */
function secretValue(env: Env, name: string, readFile: ReadSecretFile): string | undefined {
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return env[name];
  if (env[name] !== undefined && env[name] !== '') {
    throw new SetupError(`Both ${name} and ${name}_FILE are set.`, `Keep one: compose passes ${name}_FILE (a secret file).`);
  }
  try {
    // A trailing newline is the file's, not the password's.
    return readFile(file).replace(/\r?\n$/, '');
  } catch (err) {
    throw new SetupError(`${name}_FILE=${file} cannot be read (${(err as Error).message}).`, `Grant the service the compose secret that holds ${name}.`);
  }
}

function password(env: Env, name: string, readFile: ReadSecretFile, optional = false): string {
  const value = secretValue(env, name, readFile);
  if (value === undefined || value === '') {
    if (optional) return '';
    throw new SetupError(`${name} is not set.`, `Add ${name} to the secrets env file (see .env.example).`);
  }
  if (value.length < MIN_PASSWORD_LENGTH) {
    throw new SetupError(`${name} is too short.`, `Use at least ${MIN_PASSWORD_LENGTH} characters (provision generates 32).`);
  }
  return value;
}

function wholeNumber(env: Env, name: string, fallback: number, min: number, max: number, unit: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new SetupError(`${name}=${raw}: expected a whole number of ${unit} from ${min} to ${max}.`, `Fix ${name} or remove it to use ${fallback}.`);
  }
  return Number(raw);
}

function url(env: Env, name: string, fallback: string): string {
  const raw = env[name] ?? fallback;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new SetupError(`${name}=${raw}: expected an http(s) URL.`, `Fix ${name} or remove it to use ${fallback}.`);
  }
  return raw.replace(/\/+$/, '');
}

export function parsePhase(arg: string | undefined): Phase {
  const phase = PHASES.find((p) => p === arg);
  if (!phase) {
    throw new SetupError(`Unknown phase ${JSON.stringify(arg ?? '')}.`, `Run with one of: ${PHASES.join(', ')}.`);
  }
  return phase;
}

const noSecretFiles: ReadSecretFile = (path) => {
  throw new Error(`no secret files here (${path})`);
};

export function parseConfig(phase: Phase, env: Env, readFile: ReadSecretFile = noSecretFiles): SetupConfig {
  const needsWriters = phase === 'elasticsearch';
  return {
    phase,
    elasticsearchUrl: url(env, 'ELASTICSEARCH_URL', 'http://elasticsearch:9200'),
    kibanaUrl: url(env, 'KIBANA_URL', 'http://kibana:5601'),
    elasticPassword: password(env, 'ELASTIC_PASSWORD', readFile),
    kibanaSystemPassword: needsWriters ? password(env, 'KIBANA_SYSTEM_PASSWORD', readFile) : '',
    apmServerPassword: needsWriters ? password(env, 'APM_SERVER_ES_PASSWORD', readFile) : '',
    heartbeatPassword: needsWriters ? password(env, 'HEARTBEAT_ES_PASSWORD', readFile) : '',
    // Optional: a box whose secrets predate Filebeat still sets up everything else.
    filebeatPassword: needsWriters ? password(env, 'FILEBEAT_ES_PASSWORD', readFile, true) : '',
    elastalertPassword: needsWriters ? password(env, 'ELASTALERT_ES_PASSWORD', readFile, true) : '',
    boxStatusPassword: needsWriters ? password(env, 'BOX_STATUS_ES_PASSWORD', readFile, true) : '',
    apmRetentionDays: wholeNumber(env, 'APM_RETENTION_DAYS', 7, 1, 365, 'days'),
    heartbeatRetentionDays: wholeNumber(env, 'HEARTBEAT_RETENTION_DAYS', 7, 1, 365, 'days'),
    logsRetentionDays: wholeNumber(env, 'LOGS_RETENTION_DAYS', 7, 1, 365, 'days'),
    elasticsearchTimeoutMs: wholeNumber(env, 'SETUP_ES_TIMEOUT_SECONDS', 180, 1, 3600, 'seconds') * 1000,
    kibanaTimeoutMs: wholeNumber(env, 'SETUP_KIBANA_TIMEOUT_SECONDS', 300, 1, 3600, 'seconds') * 1000,
  };
}
