// Renders cloud-init/cloud-config.yaml into the instance's user-data: each write_files
// entry's `x-pillbox-file` becomes that file's content (`x-pillbox-content` a rendered
// value), and {{ NAME }} placeholders become validated settings or the box's paths and unit
// names from layout.ts. Nothing secret goes in; the box fetches secrets itself.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument, visit } from 'yaml';
import { backupsPrefix, bucketName, KIND_TAG } from '../aws/bucket-keys.js';
import { envNames, isoSeconds } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { stackComposeArgv } from './compose.js';
import { expiryDropIn } from './expiry-timer.js';
import { BOX_LAYOUT } from './layout.js';
import { inPostgres, pgDumpArgv, pgListArgv } from './postgres-commands.js';
import { toShellLine } from './ssm-run.js';

export const CLOUD_INIT_DIR = fileURLToPath(new URL('../../../cloud-init/', import.meta.url));

/** EC2 rejects user-data over 16 KB (before base64). */
export const USER_DATA_LIMIT = 16 * 1024;

export interface UserDataInput {
  env: string;
  region: string;
  appPort: number;
  accountId: string;
  gitSha: string;
  /** The commit's archive in the project bucket and its SHA-256, which the box checks. */
  source: { key: string; sha256: string };
  expiresAt: Date;
  appImage?: string;
}

/** systemd needs an absolute path for the executable. */
const systemdLine = (argv: string[]): string => toShellLine(['/usr/bin/docker', ...argv.slice(1)]);

export function placeholders(input: UserDataInput): Record<string, string> {
  return {
    ...BOX_LAYOUT,
    ENV: input.env,
    REGION: input.region,
    APP_PORT: String(input.appPort),
    GIT_SHA: input.gitSha,
    BUCKET: bucketName(input.accountId, input.region),
    ACCOUNT_ID: input.accountId,
    SOURCE_KEY: input.source.key,
    SOURCE_SHA256: input.source.sha256,
    BACKUP_PREFIX: backupsPrefix(input.env),
    KIND_TAG,
    SECRETS_PATH: envNames(input.env).secretsTree,
    EXPIRES_AT: isoSeconds(input.expiresAt),
    EXPIRY_DROP_IN: expiryDropIn(input.expiresAt),
    APP_IMAGE: input.appImage ?? '',
    COMPOSE_UP: systemdLine(stackComposeArgv(input.appImage !== undefined, 'up', '-d', '--wait')),
    COMPOSE_STOP: systemdLine(stackComposeArgv(input.appImage !== undefined, 'stop')),
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

export function renderUserData(input: UserDataInput, dir: string = CLOUD_INIT_DIR): string {
  const values = placeholders(input);
  const read = (name: string) => fillPlaceholders(readFileSync(`${dir}${name}`, 'utf8'), values, name);
  const doc = parseDocument(readFileSync(`${dir}cloud-config.yaml`, 'utf8'));
  // Values only: the template's comments name placeholders without being filled.
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value !== 'string') return;
      const filled = fillPlaceholders(node.value, values, 'cloud-config.yaml');
      // The template quotes placeholders to stay valid YAML; the result needs no quotes.
      if (filled !== node.value) Object.assign(node, { value: filled, type: 'PLAIN' });
    },
  });
  const files = doc.get('write_files') as { items: { get(k: string): unknown; set(k: string, v: unknown): void; delete(k: string): boolean }[] };
  for (const entry of files.items) {
    const source = entry.get('x-pillbox-file');
    const rendered = entry.get('x-pillbox-content');
    if (typeof source === 'string') {
      entry.delete('x-pillbox-file');
      entry.set('content', read(source));
    } else if (typeof rendered === 'string' && values[rendered] !== undefined) {
      entry.delete('x-pillbox-content');
      entry.set('content', values[rendered]);
    } else {
      throw new Error('cloud-config.yaml: write_files entry without x-pillbox-file or a known x-pillbox-content');
    }
  }
  // The comments describe the template, not the result: drop them to save bytes.
  doc.commentBefore = null;
  const body = doc.toString({ lineWidth: 0 });
  return `#cloud-config\n${body.replace(/^#.*\n/gm, '')}`;
}

/** Renders and checks the size before anything is created. */
export function renderCheckedUserData(input: UserDataInput, dir?: string): string {
  const userData = renderUserData(input, dir);
  const size = Buffer.byteLength(userData, 'utf8');
  if (size > USER_DATA_LIMIT) {
    throw new OperatorError(`The rendered user-data is ${size} bytes; EC2 accepts at most ${USER_DATA_LIMIT}.`, 'Shorten the files in cloud-init/ (or the image name).');
  }
  return userData;
}
