// The machine an entry's main(argv, deps) runs on in tests: fake AWS, the world's clock, a
// repository stand-in, no terminal, and stdout/stderr captured as text.
import { PassThrough } from 'node:stream';
import { REPO_DIR, type CliDeps } from '../../../scripts/lib/core/cli.js';
import { aGit, anArchive } from '../provision/fixtures.js';
import type { FakeAws } from './fake-aws.js';

export type TestCli = CliDeps & { out: () => string; err: () => string };

const captured = (): [PassThrough, () => string] => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return [stream, () => text];
};

/** Invocations so far: each run gets its own id, as the real randomUUID gives (a shared id would make a second provision's launch return the first one's box). */
let runs = 0;

/** Deps for one command run; `env` holds the settings a user would export (nothing from process.env). */
export function cliDeps(fake: FakeAws, overrides: Partial<CliDeps> = {}): TestCli {
  const [stdout, out] = captured();
  const [stderr, err] = captured();
  let ids = 0;
  return {
    env: { AWS_REGION: 'eu-west-1' },
    stdout,
    stderr,
    awsClients: () => fake.clients,
    s3Client: () => fake.s3,
    git: aGit(),
    archive: anArchive,
    clock: fake.clock,
    newId: () => (++ids).toString(16).padStart(8, '0'),
    runId: () => `run${String(++runs).padStart(5, '0')}`,
    holder: 'alice@laptop',
    tty: false,
    ask: () => Promise.reject(new Error('no terminal in tests')),
    lookupAddress: () => Promise.reject(new Error('no address lookup expected without a terminal')),
    repoDir: REPO_DIR,
    out,
    err,
    ...overrides,
  };
}
