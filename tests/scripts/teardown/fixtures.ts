// Shared builders for the teardown tests.
import { PassThrough } from 'node:stream';
import { Progress } from '../../../scripts/lib/core/progress.js';
import type { TeardownDeps } from '../../../scripts/lib/teardown/run.js';
import type { FakeAws } from '../fakes/fake-aws.js';

export function teardownDeps(fake: FakeAws, overrides: Partial<TeardownDeps> = {}): TeardownDeps & { questions: string[]; log: () => string } {
  const questions: string[] = [];
  const stream = new PassThrough();
  let log = '';
  stream.on('data', (c: Buffer) => (log += c.toString()));
  return {
    clients: fake.clients,
    s3: fake.s3,
    progress: new Progress({ stream, now: fake.clock.now }),
    holder: 'alice@laptop',
    clock: fake.clock,
    confirm: async (q) => (questions.push(q), true),
    questions,
    log: () => log,
    ...overrides,
  };
}
