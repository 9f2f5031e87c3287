// A box's filesystem in a temporary folder, for running the rendered cloud-init scripts for
// real: every path from layout.ts is moved under the folder, and the programs a script calls
// (systemctl, aws, curl, ...) are stand-ins on PATH that log their arguments.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { BOX_LAYOUT } from '../../scripts/lib/box/layout.js';
import { renderUserData, type UserDataInput } from '../../scripts/lib/box/user-data.js';

export const anInput = (overrides: Partial<UserDataInput> = {}): UserDataInput => ({
  env: 'feature-login',
  region: 'eu-west-1',
  allowedCidr: '203.0.113.7/32',
  accountId: '123456789012',
  gitSha: '3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49',
  source: { key: 'envs/feature-login/source/3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49.tar.gz', sha256: 'ab'.repeat(32) },
  expiresAt: new Date('2026-11-22T06:30:00Z'),
  ...overrides,
});

export interface CloudConfig {
  swap: { filename: string; size: number };
  bootcmd: string[];
  packages: string[];
  write_files: { path: string; permissions: string; content: string }[];
  runcmd: string[][];
}

export const rendered = (overrides: Partial<UserDataInput> = {}): CloudConfig => parse(renderUserData(anInput(overrides))) as CloudConfig;

export function fileIn(cfg: CloudConfig, path: string): string {
  const found = cfg.write_files.find((f) => f.path === path);
  if (!found) throw new Error(`no write_files entry for ${path}`);
  return found.content;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Longest first, one pass: a path inside another is never moved twice. */
const LAYOUT_PATHS = new RegExp(
  Object.values(BOX_LAYOUT)
    .filter((v) => v.startsWith('/'))
    .sort((a, b) => b.length - a.length)
    .map(escape)
    .join('|'),
  'g',
);

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export class BoxRoot {
  readonly dir = mkdtempSync(join(tmpdir(), 'pillbox-box-'));
  readonly bin = join(this.dir, 'stand-in-bin');
  readonly calls = join(this.dir, 'calls.log');

  constructor() {
    mkdirSync(this.bin);
    writeFileSync(this.calls, '');
  }

  /** Where a box path lives in this root. */
  path(boxPath: string): string {
    return join(this.dir, boxPath);
  }

  /** A text with every layout path moved under this root. */
  relocate(text: string): string {
    return text.replace(LAYOUT_PATHS, (p) => this.path(p));
  }

  write(boxPath: string, content: string, mode = 0o644): void {
    const target = this.path(boxPath);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    chmodSync(target, mode);
  }

  read(boxPath: string): string {
    return readFileSync(this.path(boxPath), 'utf8');
  }

  exists(boxPath: string): boolean {
    return existsSync(this.path(boxPath));
  }

  /** Writes what cloud-init's write_files would, relocated unless asked not to. */
  writeFiles(cfg: CloudConfig, { relocated = true } = {}): void {
    for (const f of cfg.write_files) this.write(f.path, relocated ? this.relocate(f.content) : f.content, Number.parseInt(f.permissions, 8));
  }

  /** A program on PATH that logs `name args...` and then runs `body` (sh). */
  standIn(name: string, body = 'exit 0'): void {
    const file = join(this.bin, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> '${this.calls}'\n${body}\n`);
    chmodSync(file, 0o755);
  }

  /** A program at a box path (relocated) that logs its name and runs `body`. */
  program(boxPath: string, body = 'exit 0'): void {
    this.write(boxPath, `#!/bin/sh\necho "${boxPath}" >> '${this.calls}'\n${body}\n`, 0o755);
  }

  loggedCalls(): string[] {
    return readFileSync(this.calls, 'utf8').split('\n').filter(Boolean);
  }

  /** Runs a script with the stand-ins first on PATH; never throws on a non-zero exit. What it said on stderr is kept either way. */
  /** Runs `script` with `args` as its positional parameters ($1, ...). */
  run(shell: string, script: string, args: readonly string[] = []): Run {
    const r = spawnSync(shell, ['-c', script, shell, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${this.bin}:${process.env.PATH}` } });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
