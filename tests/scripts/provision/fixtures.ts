// Shared builders for the provision and teardown tests.
import { PassThrough } from 'node:stream';
import type { GitRunner } from '../../../scripts/lib/core/git.js';
import { Progress } from '../../../scripts/lib/core/progress.js';
import { provisionSchema, type ProvisionConfig } from '../../../scripts/lib/provision/config.js';
import type { ProvisionDeps } from '../../../scripts/lib/provision/run.js';
import type { FakeAws } from '../fakes/fake-aws.js';

export const SHA = '3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49';
export const REPO = 'https://github.com/acme/pillbox';

export const aConfig = (overrides: Partial<ProvisionConfig> = {}): ProvisionConfig => ({ ...provisionSchema.parse({ env: 'dev', repoUrl: REPO }), ...overrides });

/** A repository whose HEAD is SHA and whose remote has it (unless `pushed` is false). */
export const aGit =
  ({ pushed = true } = {}): GitRunner =>
  async (args) => {
    const cmd = args.join(' ');
    if (cmd.startsWith('rev-parse --verify')) return SHA;
    if (cmd === `ls-remote ${REPO}`) return pushed ? `${SHA}\trefs/heads/main` : `${'0'.repeat(40)}\trefs/heads/main`;
    if (cmd === `branch -r --contains ${SHA}`) return '';
    throw new Error(`unexpected git ${cmd}`);
  };

export function depsFor(fake: FakeAws, overrides: Partial<ProvisionDeps> = {}): ProvisionDeps & { log: () => string } {
  const stream = new PassThrough();
  let log = '';
  stream.on('data', (c: Buffer) => (log += c.toString()));
  const clock = fake.clock;
  return {
    clients: fake.clients,
    git: aGit(),
    progress: new Progress({ stream, now: clock.now }),
    clock,
    runId: 'run00001',
    holder: 'alice@laptop',
    // As in CI: no terminal, so no address lookup (tests of the /32 default inject one).
    interactive: false,
    lookupAddress: () => Promise.reject(new Error('no address lookup expected without a terminal')),
    log: () => log,
    ...overrides,
  };
}
