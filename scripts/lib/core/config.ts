// One config object per command surface: flags > environment (and .env) > defaults,
// parsed once at the entry point with a schema. Nothing below the entry reads process.env.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { z } from 'zod';
import { currentBranch, type GitRunner } from './git.js';
import { ENV_NAME_PATTERN, slugEnvName } from './names.js';
import { OperatorError } from './operator-error.js';

export interface Field {
  /** Long flag name without dashes. */
  flag: string;
  /** Environment variable read when the flag is absent. */
  env?: string;
  boolean?: boolean;
  description: string;
}

export type Fields = Record<string, Field>;

/**
 * An operator command's surface: the npm script that runs it, what it does, and the flags it
 * takes. `--help`, the flag tables of docs/commands.md and `.env.example` are all rendered from it.
 */
export interface Command {
  name: string;
  summary: string;
  fields: Fields;
}

export interface Sources {
  argv: string[];
  env: Record<string, string | undefined>;
}

/**
 * Loads `.env` into process.env without overriding what is already set, so the
 * SDK's own chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL*) sees it too.
 */
export function processSources(argv: string[], dotenvPath = '.env'): Sources {
  if (existsSync(dotenvPath)) dotenv.config({ path: dotenvPath, quiet: true });
  return { argv, env: process.env };
}

export const envNameSchema = z.string().regex(ENV_NAME_PATTERN, {
  error: 'expected 1–24 characters of a-z, 0-9 and -, starting with a letter',
});

/** Region names such as eu-west-1, us-gov-west-1, ap-southeast-5. */
export const regionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'expected an AWS region name such as eu-west-1' });

const TRUE = new Set(['1', 'true', 'yes']);
const FALSE = new Set(['0', 'false', 'no', '']);

/** Booleans from env vars accept 1/true/yes and 0/false/no. */
export const flagSchema = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const lower = v.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  return v;
}, z.boolean({ error: 'expected true or false' }));

/** Fields every command accepts. */
export const commonFields = {
  env: { flag: 'env', env: 'PILLBOX_ENV', description: 'environment name (default: a slug of the git branch)' },
  region: { flag: 'region', description: 'AWS region (default: AWS_REGION or the profile region)' },
  json: { flag: 'json', boolean: true, description: 'print the result as JSON on stdout' },
  debug: { flag: 'debug', boolean: true, description: 'show stack traces' },
  help: { flag: 'help', boolean: true, description: 'show this help' },
} satisfies Fields;

export const commonSchema = z.object({
  env: envNameSchema,
  region: regionSchema.optional(),
  json: flagSchema.default(false),
  debug: flagSchema.default(false),
  help: flagSchema.default(false),
});

export type CommonConfig = z.infer<typeof commonSchema>;

/** The settings of a command that shows every environment unless --env names one (status, backups). */
export const everyEnvironmentFields = {
  ...commonFields,
  env: { flag: 'env', env: 'PILLBOX_ENV', description: 'show only this environment (default: all of them)' },
  all: { flag: 'all', boolean: true, description: 'show every environment even when PILLBOX_ENV is set' },
} satisfies Fields;

export const everyEnvironmentSchema = commonSchema.extend({ env: envNameSchema.optional(), all: flagSchema.default(false) });

/** How a flag is written on the command line: `--ttl-hours <value>`, `--plan`. */
export const flagLabel = (f: Field): string => `--${f.flag}${f.boolean ? '' : ' <value>'}`;

/** Usage text for `--help`, from the same field table the parser uses; both ways to run it, the flags placed as each needs. */
export function usage(command: string, summary: string, fields: Fields): string {
  const rows = Object.values(fields).map((f) => {
    const env = f.env ? ` [${f.env}]` : '';
    return `${`  ${flagLabel(f)}`.padEnd(28)} ${f.description}${env}`;
  });
  return [`Usage: npx pillbox ${command} [options]`, `   or: npm run ${command} -- [options]`, '', summary, '', 'Options:', ...rows, ''].join('\n');
}

export const helpText = (command: Command): string => usage(command.name, command.summary, command.fields);

/**
 * `--hours -2` as `--hours=-2`: parseArgs takes a value starting with a dash for a forgotten value
 * ("argument is ambiguous"); a number is a value, and the schema then says what is expected.
 */
function joinNegativeNumbers(fields: Fields, argv: string[]): string[] {
  const valued = new Set(Object.values(fields).filter((f) => !f.boolean).map((f) => `--${f.flag}`));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const word = argv[i] as string;
    const next = argv[i + 1];
    if (valued.has(word) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${word}=${next}`);
      i += 1;
    } else out.push(word);
  }
  return out;
}

function readFlags(fields: Fields, argv: string[]): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const f of Object.values(fields)) options[f.flag] = { type: f.boolean ? 'boolean' : 'string' };
  try {
    return parseArgs({ args: joinNegativeNumbers(fields, argv), options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    // A flag another command takes (--json on session, --plan on deploy) is refused like any unknown one.
    const taken = Object.values(fields).map((f) => `--${f.flag}`);
    throw new OperatorError(`${(err as Error).message.split('\n')[0]}`, `This command takes ${taken.join(', ')}; --help says what each does.`);
  }
}

/**
 * Collects raw values (flag, then env var, then default) and validates them with the
 * schema; a bad value stops with one line naming where it came from and what is expected.
 */
export function parseConfig<S extends z.ZodType>(
  fields: Fields,
  schema: S,
  sources: Sources,
  defaults: Record<string, unknown> = {},
): z.infer<S> {
  const flags = readFlags(fields, sources.argv);
  const raw: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [key, field] of Object.entries(fields)) {
    const fromFlag = flags[field.flag];
    const fromEnv = field.env ? sources.env[field.env] : undefined;
    if (fromFlag !== undefined) {
      raw[key] = fromFlag;
      origin[key] = `--${field.flag}`;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw[key] = fromEnv;
      origin[key] = field.env as string;
    } else if (defaults[key] !== undefined) {
      raw[key] = defaults[key];
      origin[key] = `default ${field.flag}`;
    }
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = String(issue?.path[0] ?? '');
  // A rule over the flags together (no one flag at fault) says only itself.
  if (key === '') throw new OperatorError(issue?.message ?? 'invalid settings', 'Run with --help to see the options.');
  const field = fields[key];
  if (field && raw[key] === undefined) {
    const where = field.env ? `--${field.flag} or ${field.env}` : `--${field.flag}`;
    throw new OperatorError(`Missing --${field.flag}: ${field.description}.`, `Set ${where}.`);
  }
  const shown = `${origin[key] ?? key}=${String(raw[key])}`;
  const where = field ? [`--${field.flag}`, field.env].filter(Boolean).join(' or ') : '';
  throw new OperatorError(`${shown}: ${issue?.message ?? 'invalid value'}`, field ? `Set ${where}: ${field.description}.` : 'Run with --help to see the options.');
}

/** Whether the environment name is the git branch's: neither --env nor PILLBOX_ENV names one. */
export const envNameFromBranch = (sources: Sources): boolean =>
  !sources.argv.some((a) => a === '--env' || a.startsWith('--env=')) && (sources.env.PILLBOX_ENV ?? '') === '';

/** The environment name default: a slug of the current git branch. */
export async function defaultEnvName(git: GitRunner): Promise<string | undefined> {
  const branch = await currentBranch(git);
  return branch ? slugEnvName(branch) : undefined;
}

/** Parses the fields every command shares plus `extra`, with the git-derived env name default. */
export async function loadConfig<S extends z.ZodType>(
  fields: Fields,
  schema: S,
  sources: Sources,
  git: GitRunner,
  defaults: Record<string, unknown> = {},
): Promise<z.infer<S>> {
  const envDefault = await defaultEnvName(git);
  return parseConfig(fields, schema, sources, { ...defaults, env: envDefault ?? defaults.env });
}
