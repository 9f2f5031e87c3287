// What an entry file takes from the machine, injected: the entry's `main(argv, deps)` runs the
// command exactly as `npm run <command>` does, and tests run it against fake AWS and a fake clock.
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { readAnswer } from './confirm.js';
import { createAwsClients, createS3Client, type AwsClients } from './aws-clients.js';
import { systemClock, type Clock } from './clock.js';
import { processSources, type Sources } from './config.js';
import { systemGit, type GitRunner } from './git.js';
import { runCli } from './operator-error.js';
import { Progress } from './progress.js';
import { checkipLookup, type AddressLookup } from './public-address.js';
import { systemArchive, type ArchiveRunner } from './source-archive.js';

export interface CliDeps {
  /** Settings: process.env with .env loaded under it. */
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  /** Progress goes here, so `--json` on stdout stays machine-readable. */
  stderr: NodeJS.WritableStream;
  awsClients: (region?: string) => AwsClients;
  s3Client: (region?: string) => S3Client;
  git: GitRunner;
  archive: ArchiveRunner;
  clock: Clock;
  /** A fresh hex id (file names on the box, lock ids). */
  newId: () => string;
  /** Unique per invocation: provision's RunInstances ClientToken derives from it. */
  runId: () => string;
  /** Who runs this (user@host), recorded in locks. */
  holder: string;
  /** stdin is a terminal a question can be asked on. */
  tty: boolean;
  ask: (q: string) => Promise<string>;
  lookupAddress: AddressLookup;
  /** The repository's root folder: the files the doctor reads and docs:flags rewrites are under it. */
  repoDir: string;
}

/** The repository this CLI belongs to (scripts/lib/core/ is three folders down). */
export const REPO_DIR = fileURLToPath(new URL('../../../', import.meta.url));

export function systemDeps(argv: string[]): CliDeps {
  return {
    env: processSources(argv).env,
    stdout: process.stdout,
    stderr: process.stderr,
    awsClients: createAwsClients,
    s3Client: createS3Client,
    git: systemGit(),
    archive: systemArchive(),
    clock: systemClock,
    newId: () => randomBytes(8).toString('hex'),
    runId: () => randomUUID().slice(0, 8),
    holder: `${userInfo().username}@${hostname()}`,
    tty: process.stdin.isTTY === true,
    ask: readAnswer,
    lookupAddress: checkipLookup(),
    repoDir: REPO_DIR,
  };
}

/** The flags and settings a command parses. */
export const sourcesOf = (argv: string[], deps: Pick<CliDeps, 'env'>): Sources => ({ argv, env: deps.env });

export const progressOf = (deps: Pick<CliDeps, 'stderr' | 'clock'>): Progress => new Progress({ stream: deps.stderr, now: deps.clock.now });

export type Main<D extends CliDeps = CliDeps> = (argv: string[], deps: D) => Promise<void>;

/**
 * Runs `main` when `moduleUrl` is the file node was started with (`tsx scripts/x.ts`), not when it is imported.
 * `own` adds what only that command takes from the machine (a terminal program, a browser), beside the common deps.
 */
export async function runWhenEntry(moduleUrl: string, main: Main): Promise<void>;
// Own is required whenever main takes it: left out, the command would find it undefined only when run.
export async function runWhenEntry<Own extends object>(moduleUrl: string, main: Main<CliDeps & Own>, own: Own): Promise<void>;
export async function runWhenEntry(moduleUrl: string, main: Main, own: object = {}): Promise<void> {
  const started = process.argv[1];
  if (!started || pathToFileURL(realpathSync(started)).href !== moduleUrl) return;
  await runCli((argv) => main(argv, { ...systemDeps(argv), ...own }));
}
