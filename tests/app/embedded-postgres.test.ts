import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { packagedBinDir, startEmbeddedPostgres, type EmbeddedPostgresOptions } from '../../app/src/db/embedded-postgres.js';
import { freePort } from '../support/postgres.js';


/** Runs `start` and returns how it failed and how long that took. */
async function failure(start: Promise<unknown>): Promise<{ message: string; ms: number }> {
  const began = Date.now();
  const outcome = await start.then(
    () => new Error('it started'),
    (err: Error) => err,
  );
  expect(outcome.message).to.not.equal('it started');
  return { message: outcome.message, ms: Date.now() - began };
}

describe('embedded PostgreSQL', function () {
  this.timeout(30_000);
  const cleanup: Array<() => Promise<unknown>> = [];
  /** A scratch directory the postgres user can enter (mkdtemp makes it private). */
  const scratch = async (mode = 0o755) => {
    const dir = await mkdtemp(join(tmpdir(), 'pillbox-embedded-'));
    await chmod(dir, mode);
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const options = async (overrides: Partial<EmbeddedPostgresOptions> = {}): Promise<EmbeddedPostgresOptions> => ({
    dataDir: join(await scratch(), 'data'),
    port: await freePort(),
    password: randomBytes(8).toString('hex'),
    ...overrides,
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('starts, serves queries with Unicode-aware ILIKE, and stops', async () => {
    const opts = await options();
    const server = await startEmbeddedPostgres(opts);
    cleanup.push(() => server.stop());
    const client = new pg.Client({ connectionString: `postgres://postgres:${opts.password}@127.0.0.1:${opts.port}/postgres` });
    await client.connect();
    const { rows } = await client.query(`SELECT 'Парацетамол' ILIKE '%парацетамол%' AS matches`);
    await client.end();
    expect(rows[0].matches).to.equal(true);
    await server.stop();
    const refused = new pg.Client({ connectionString: `postgres://postgres:${opts.password}@127.0.0.1:${opts.port}/postgres` });
    expect(await refused.connect().then(() => 'connected', (err: NodeJS.ErrnoException) => err.code)).to.equal('ECONNREFUSED');
  });

  it('fails within seconds, naming the port and the setting, when the port is taken', async () => {
    const port = await freePort();
    const squatter: Server = createServer().listen(port, '127.0.0.1');
    cleanup.push(() => new Promise((resolve) => squatter.close(resolve)));
    const { message, ms } = await failure(startEmbeddedPostgres(await options({ port, portSetting: 'EMBEDDED_PG_PORT' })));
    expect(message).to.equal(`port ${port} on 127.0.0.1 is taken: stop what listens there, or set EMBEDDED_PG_PORT to a free port`);
    expect(ms).to.be.lessThan(3_000);
  });

  it('fails within seconds, naming the binary, when the user PostgreSQL runs as cannot execute it', async () => {
    // As root, PostgreSQL runs as `postgres`, which cannot enter a private 0700 directory (a
    // checkout under /root). As anyone else, the same fault is a binary without execute permission.
    const binDir = join(await scratch(0o700), 'bin');
    await mkdir(binDir);
    const packaged = await packagedBinDir();
    for (const binary of ['initdb', 'postgres']) {
      await copyFile(join(packaged, binary), join(binDir, binary));
      await chmod(join(binDir, binary), userInfo().uid === 0 ? 0o755 : 0o644);
    }
    const { message, ms } = await failure(startEmbeddedPostgres(await options({ binDir })));
    expect(message).to.contain(`${join(binDir, 'initdb')} (EACCES)`);
    if (userInfo().uid === 0) expect(message).to.contain('the postgres user cannot run').and.contain('private (0700) directory');
    expect(message.split('\n')).to.have.length(1);
    expect(ms).to.be.lessThan(3_000);
  });

  it('fails with the server’s own FATAL line when it exits while starting', async () => {
    const { message } = await failure(startEmbeddedPostgres(await options({ settings: { max_connections: 'lots' } })));
    expect(message).to.match(/^the embedded PostgreSQL exited while starting \(1\): .*FATAL: .*invalid value for parameter "max_connections": "lots"/);
  });

  it('gives up after the start timeout, and kills the server, when it never becomes ready', async () => {
    // A data directory that looks initialised and a "postgres" that says nothing and never exits.
    const opts = await options({ startTimeoutMs: 1_000 });
    await mkdir(opts.dataDir, { recursive: true });
    await writeFile(join(opts.dataDir, 'PG_VERSION'), '17\n');
    // World-writable: as root the fake runs as the postgres user and records its pid here.
    const binDir = await scratch(0o777);
    const pidFile = join(binDir, 'pid');
    await writeFile(join(binDir, 'postgres'), `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`, { mode: 0o755 });
    const { message, ms } = await failure(startEmbeddedPostgres({ ...opts, binDir }));
    expect(message).to.match(/^the embedded PostgreSQL did not start within 1 s/);
    expect(ms).to.be.within(1_000, 3_000);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(() => process.kill(pid, 0), 'the hung server was killed').to.throw();
  });
});
