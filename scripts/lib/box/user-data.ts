// Renders cloud-init/cloud-config.yaml into the instance's user-data: each write_files
// entry's `x-pillbox-file` becomes that file's content, and {{ NAME }} placeholders become
// validated settings, the box's paths and unit names from layout.ts, or a script rendered
// from this folder (bootcmd's). Nothing secret goes in; the box fetches secrets itself.
// EC2 takes it gzip-compressed: the text outgrew EC2's 16 KB limit, and cloud-init
// uncompresses gzip user-data before reading it (cloud-init docs, "User-Data Formats").
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { parseDocument, visit } from 'yaml';
import { backupsPrefix, bucketName, KIND_TAG } from '../aws/bucket-keys.js';
import { BACKUP_KILL_AFTER_S, EXPIRY_BACKUP_MIN, EXPIRY_LOCK_WAIT_S, EXPIRY_SERVICE_MIN, TIMER_ACCURACY_MIN } from '../core/expiry-guards.js';
import { envNames, isoSeconds } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { DEPLOY_PROFILE, stackComposeArgv } from './compose.js';
import { expiryDropIn } from './expiry-timer.js';
import { BOX_LAYOUT } from './layout.js';
import { inPostgres, pgDumpArgv, pgListArgv } from './postgres-commands.js';
import { secretFilePlaceholders } from './secret-files.js';
import { profileArgs } from './stack-profiles.js';
import { toShellLine } from './ssm-run.js';

export const CLOUD_INIT_DIR = fileURLToPath(new URL('../../../cloud-init/', import.meta.url));

/** EC2 rejects user-data over 16 KB in raw form, before base64 (EC2 User Guide, "Work with instance user data"). */
export const USER_DATA_LIMIT = 16 * 1024;

export interface UserDataInput {
  env: string;
  region: string;
  /** Served over HTTPS with a certificate for it; without one, the certificate names the box's IP address. */
  domain?: string;
  /** Who may use the site: the edge refuses every other address (the security group opens port 80 to everyone). */
  allowedCidr: string;
  accountId: string;
  gitSha: string;
  /** The commit's archive in the project bucket and its SHA-256, which the box checks. */
  source: { key: string; sha256: string };
  expiresAt: Date;
  appImage?: string;
  /** Optional compose profiles the stack runs with (stack-profiles.ts: logs on 8 GiB types). */
  profiles?: string[];
}

/** systemd needs an absolute path for the executable. */
const systemdLine = (argv: string[]): string => toShellLine(['/usr/bin/docker', ...argv.slice(1)]);

export function placeholders(input: UserDataInput): Record<string, string> {
  return {
    ...BOX_LAYOUT,
    ...secretFilePlaceholders(),
    ENV: input.env,
    REGION: input.region,
    DOMAIN: input.domain ?? '',
    // Let's Encrypt issues certificates for IP addresses only under the shortlived profile (compose/caddy/Caddyfile).
    ACME_PROFILE: input.domain ? 'classic' : 'shortlived',
    ALLOWED_CIDR: input.allowedCidr,
    GIT_SHA: input.gitSha,
    BUCKET: bucketName(input.accountId, input.region),
    ACCOUNT_ID: input.accountId,
    SOURCE_KEY: input.source.key,
    SOURCE_SHA256: input.source.sha256,
    BACKUP_PREFIX: backupsPrefix(input.env),
    KIND_TAG,
    SECRETS_PATH: envNames(input.env).secretsTree,
    EXPIRES_AT: isoSeconds(input.expiresAt),
    EXPIRY_DROP_IN: expiryDropIn(input.expiresAt).trimEnd(),
    EXPIRY_BACKUP_MIN: String(EXPIRY_BACKUP_MIN),
    BACKUP_KILL_AFTER_S: String(BACKUP_KILL_AFTER_S),
    EXPIRY_SERVICE_MIN: String(EXPIRY_SERVICE_MIN),
    EXPIRY_LOCK_WAIT_S: String(EXPIRY_LOCK_WAIT_S),
    TIMER_ACCURACY_MIN: String(TIMER_ACCURACY_MIN),
    APP_IMAGE: input.appImage ?? '',
    COMPOSE_UP: systemdLine(stackComposeArgv(input.appImage !== undefined, ...profileArgs(input.profiles ?? []), 'up', '-d', '--wait')),
    // With the deploy profile: compose loads only active profiles' services (v5.1.0 cmd/compose/stop.go), so a
    // second color a deploy left running would otherwise outlive the stop and be killed without its grace period.
    COMPOSE_STOP: systemdLine(stackComposeArgv(input.appImage !== undefined, ...profileArgs(input.profiles ?? []), '--profile', DEPLOY_PROFILE, 'stop')),
    PG_DUMP: toShellLine(inPostgres(pgDumpArgv())),
    PG_LIST: toShellLine(inPostgres(pgListArgv())),
  };
}

export function fillPlaceholders(text: string, values: Record<string, string>, origin: string): string {
  return text.replace(/\{\{ ?([A-Z][A-Z0-9_]*) ?\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${origin}: unknown placeholder {{ ${name} }}`);
    return value;
  });
}

/**
 * bootcmd runs before write_files, so the script arming the expiry timer carries the unit
 * files inline (as quoted here-documents, hence without their final newline).
 */
function withInlineScripts(values: Record<string, string>, read: (name: string, values: Record<string, string>) => string): Record<string, string> {
  const units = { ...values, EXPIRE_SERVICE_TEXT: read('expire.service', values).trimEnd(), EXPIRE_TIMER_TEXT: read('expire.timer', values).trimEnd() };
  return { ...values, ARM_EXPIRY: read('arm-expiry.sh', units) };
}

export function renderUserData(input: UserDataInput, dir: string = CLOUD_INIT_DIR): string {
  const readWith = (name: string, values: Record<string, string>) => fillPlaceholders(readFileSync(`${dir}${name}`, 'utf8'), values, name);
  const values = withInlineScripts(placeholders(input), readWith);
  const read = (name: string) => readWith(name, values);
  const doc = parseDocument(readFileSync(`${dir}cloud-config.yaml`, 'utf8'));
  // Values only: the template's comments name placeholders without being filled.
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value !== 'string') return;
      const filled = fillPlaceholders(node.value, values, 'cloud-config.yaml');
      // The template quotes placeholders to stay valid YAML; the result needs no quotes.
      if (filled !== node.value) Object.assign(node, { value: filled, type: filled.includes('\n') ? 'BLOCK_LITERAL' : 'PLAIN' });
    },
  });
  const files = doc.get('write_files') as { items: { get(k: string): unknown; set(k: string, v: unknown): void; delete(k: string): boolean }[] };
  for (const entry of files.items) {
    const source = entry.get('x-pillbox-file');
    if (typeof source !== 'string') throw new Error('cloud-config.yaml: write_files entry without x-pillbox-file');
    entry.delete('x-pillbox-file');
    entry.set('content', read(source));
  }
  // The comments describe the template, not the result: drop them to save bytes.
  doc.commentBefore = null;
  const body = doc.toString({ lineWidth: 0 });
  return `#cloud-config\n${body.replace(/^#.*\n/gm, '')}`;
}

export interface UserData {
  /** The cloud-config, as `cloud-init schema` reads it and render-user-data prints it. */
  text: string;
  /** What RunInstances sends: the text, gzip-compressed (no timestamp, so the same text packs the same). */
  packed: Buffer;
}

/** Renders, packs and checks the size before anything is created. */
export function renderCheckedUserData(input: UserDataInput, dir?: string): UserData {
  const text = renderUserData(input, dir);
  const packed = gzipSync(text, { level: 9 });
  if (packed.length > USER_DATA_LIMIT) {
    throw new OperatorError(
      `The user-data is ${packed.length} bytes gzip-compressed (${Buffer.byteLength(text, 'utf8')} rendered); EC2 accepts at most ${USER_DATA_LIMIT}.`,
      'Shorten the files in cloud-init/ (or the image name).',
    );
  }
  return { text, packed };
}
