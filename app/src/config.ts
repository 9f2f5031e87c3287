import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** Thrown for a bad setting; its message is the one line the operator sees. */
export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const wholeNumber = (min: number, max: number, fallback: number, unit = '') => {
  const expected = { error: `expected a whole number${unit} from ${min} to ${max}` };
  return z
    .string()
    .regex(/^\d+$/, expected)
    .transform(Number)
    .pipe(z.number().min(min, expected).max(max, expected))
    .optional()
    .transform((v) => v ?? fallback);
};

/** "a.b.c.d/n" or an address alone: what Express's `trust proxy` (proxy-addr) accepts as one entry. */
const isAddressOrRange = (entry: string): boolean => {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
};

const schema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], { error: 'expected development, production or test' })
    .default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: wholeNumber(1, 65535, 3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^\s]+$/, { error: 'expected a postgres:// connection URL' })
    .optional(),
  DATABASE_POOL_MAX: wholeNumber(1, 100, 10, ' of connections'),
  WEB_CONCURRENCY: wholeNumber(1, 64, availableParallelism(), ' of workers'),
  SHUTDOWN_TIMEOUT_MS: wholeNumber(1000, 120000, 10000, ' of milliseconds'),
  BODY_LIMIT_BYTES: wholeNumber(1024, 1048576, 16384, ' of bytes'),
  // The proxies whose X-Forwarded-* headers are believed (the edge network behind Caddy); none by default.
  TRUST_PROXY: z
    .string()
    .transform((v) => v.split(',').map((entry) => entry.trim()))
    .refine((entries) => entries.every(isAddressOrRange), { error: 'expected IP addresses or CIDR ranges, comma-separated (e.g. 172.30.0.0/24)' })
    .optional()
    .transform((v) => v ?? []),
  // The passwords a write (POST/PATCH/DELETE, the page's form) must carry, comma-separated: the current one and,
  // while a rotation is under way, the previous one. Empty entries are dropped; none at all leaves writes open.
  WRITE_PASSWORDS: z
    .string()
    .transform((v) => v.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .refine((entries) => entries.every((entry) => /^[\x21-\x7e]{12,256}$/.test(entry)), {
      error: 'expected passwords of 12 to 256 printable ASCII characters without spaces, comma-separated',
    })
    .optional()
    .transform((v) => v ?? []),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  // V8 limits for each worker, from measurement (STEPS.md): two workers and the primary stay
  // under 90% of the app container's 512 MiB through the benchmark.
  WORKER_MAX_OLD_SPACE_MB: wholeNumber(32, 4096, 96, ' of MiB'),
  WORKER_MAX_SEMI_SPACE_MB: wholeNumber(1, 64, 8, ' of MiB'),
  EMBEDDED_PG_DIR: z.string().min(1).default('.data/postgres'),
  EMBEDDED_PG_PORT: wholeNumber(1, 65535, 54329),
});

export type Config = z.infer<typeof schema>;

/** Settings whose value is never repeated in an error message. */
const SECRET_SETTINGS = new Set(['DATABASE_URL', 'WRITE_PASSWORDS']);

/** Parses the environment once; empty values count as unset so `.env` templates stay harmless. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0]);
  const shown = SECRET_SETTINGS.has(name) ? '<redacted>' : present[name];
  throw new ConfigError(`${name}=${shown}: ${issue.message}`);
}
