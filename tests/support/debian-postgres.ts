// Throwaway PostgreSQL servers from the distribution's packages (Debian's postgresql-15 here
// and in CI), for tests that need pg_dump, pg_restore and psql of the same version as the
// server: the embedded server of tests/support/postgres.ts ships no client tools, and
// pg_dump refuses a server newer than itself. Each server is one "box": its own cluster,
// copied from one initdb so that a new box costs a directory copy.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgres.js';

const ROOT = '/usr/lib/postgresql';
const TOOLS = ['initdb', 'pg_ctl', 'pg_dump', 'pg_restore', 'psql'];

/** The newest installed version's bin directory with every tool the tests run. */
export function postgresBin(): string {
  const versions = existsSync(ROOT) ? readdirSync(ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => join(ROOT, v, 'bin')).find((dir) => TOOLS.every((t) => existsSync(join(dir, t))));
  if (!bin) throw new Error(`No PostgreSQL server and client tools under ${ROOT}/<version>/bin: install Debian's postgresql-15 (.ci/run does).`);
  return bin;
}

/** initdb and pg_ctl refuse to run as root: as root, they run as the postgres user. */
function asServerUser(): Pick<SpawnSyncOptions, 'uid' | 'gid'> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

function run(bin: string, tool: string, args: string[]): void {
  const result = spawnSync(join(bin, tool), args, { encoding: 'utf8', ...asServerUser() });
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.error?.message}`);
}

export interface PostgresServer {
  port: number;
  /** PGHOST/PGPORT/PGUSER for the tools, and PATH with the server's bin first. */
  env: Record<string, string>;
  stop(): void;
}

export interface PostgresFactory {
  bin: string;
  start(): Promise<PostgresServer>;
  close(): void;
}

export function postgresFactory(): PostgresFactory {
  const bin = postgresBin();
  const base = mkdtempSync(join(tmpdir(), 'pillbox-debian-pg-'));
  const owner = asServerUser();
  if (owner.uid !== undefined) chownSync(base, owner.uid, owner.gid!);
  const template = join(base, 'template');
  run(bin, 'initdb', ['--pgdata', template, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--no-sync']);
  let count = 0;
  const servers: PostgresServer[] = [];
  return {
    bin,
    async start() {
      const dir = join(base, `box-${++count}`);
      cpSync(template, dir, { recursive: true });
      // PostgreSQL refuses a data directory wider than 0700/0750; Node 24.12's cpSync makes the top one with the umask's mode.
      chmodSync(dir, 0o700);
      if (owner.uid !== undefined) spawnSync('chown', ['-R', `${owner.uid}:${owner.gid}`, dir]);
      const port = await freePort();
      const options = `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
      run(bin, 'pg_ctl', ['--pgdata', dir, '--options', options, '--log', `${dir}.log`, '--wait', 'start']);
      const server: PostgresServer = {
        port,
        env: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres', PATH: `${bin}:${process.env.PATH}` },
        stop: () => run(bin, 'pg_ctl', ['--pgdata', dir, '--mode', 'immediate', 'stop']),
      };
      servers.push(server);
      return server;
    },
    close() {
      for (const s of servers.splice(0)) {
        try {
          s.stop();
        } catch {
          // Already stopped.
        }
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}
