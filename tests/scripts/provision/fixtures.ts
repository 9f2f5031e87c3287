// Shared builders for the provision and teardown tests.
import { PassThrough } from 'node:stream';
import type { GitRunner } from '../../../scripts/lib/core/git.js';
import { readText } from '../../compose/compose-files.js';
import { Progress } from '../../../scripts/lib/core/progress.js';
import type { ArchiveRunner } from '../../../scripts/lib/core/source-archive.js';
import { provisionSchema, type ProvisionConfig } from '../../../scripts/lib/provision/config.js';
import type { ProvisionDeps } from '../../../scripts/lib/provision/run.js';
import type { FakeAws } from '../fakes/fake-aws.js';

export const SHA = '3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49';

export const aConfig = (overrides: Partial<ProvisionConfig> = {}): ProvisionConfig => ({ ...provisionSchema.parse({ env: 'dev' }), ...overrides });

/** A repository whose HEAD is SHA, with the given uncommitted changes; it has no remote at all. */
export const aGit =
  ({ changed = [] as string[], untracked = [] as string[] } = {}): GitRunner & { asked: string[] } => {
    const asked: string[] = [];
    const run = async (args: string[]) => {
      const cmd = args.join(' ');
      asked.push(cmd);
      if (cmd.startsWith('rev-parse --verify')) return SHA;
      if (cmd === 'diff --name-only HEAD') return changed.join('\n');
      if (cmd === 'ls-files --others --exclude-standard') return untracked.join('\n');
      if (cmd === `show ${SHA}:compose/compose.yaml`) return readText('compose/compose.yaml');
      throw new Error(`unexpected git ${cmd}`);
    };
    return Object.assign(run, { asked });
  };

/** `git archive` stand-in: the same commit always gives the same bytes. */
export const anArchive: ArchiveRunner = async (sha) => Buffer.from(`tar.gz of ${sha}\n`);

export function depsFor(fake: FakeAws, overrides: Partial<ProvisionDeps> = {}): ProvisionDeps & { log: () => string } {
  const stream = new PassThrough();
  let log = '';
  stream.on('data', (c: Buffer) => (log += c.toString()));
  const clock = fake.clock;
  return {
    clients: fake.clients,
    s3: fake.s3,
    git: aGit(),
    archive: anArchive,
    progress: new Progress({ stream, now: clock.now }),
    clock,
    runId: 'run00001',
    holder: 'alice@laptop',
    newId: () => 'feedc0de',
    // As in CI: no terminal, so no address lookup (tests of the /32 default inject one).
    interactive: false,
    lookupAddress: () => Promise.reject(new Error('no address lookup expected without a terminal')),
    log: () => log,
    ...overrides,
  };
}
