// Shared builders for the teardown tests.
import { PassThrough } from 'node:stream';
import { Progress } from '../../../scripts/lib/core/progress.js';
import type { TeardownDeps } from '../../../scripts/lib/teardown/run.js';
import { fakeClock, type FakeAws } from '../fakes/fake-aws.js';
import { anS3World, fakeS3, type S3World } from '../fakes/fake-s3.js';

export function teardownDeps(fake: FakeAws, overrides: Partial<TeardownDeps> = {}, s3World: S3World = anS3World()): TeardownDeps & { questions: string[] } {
  const clock = fakeClock();
  const questions: string[] = [];
  return {
    clients: fake.clients,
    s3: fakeS3(s3World).client,
    progress: new Progress({ stream: new PassThrough(), now: clock.now }),
    holder: 'alice@laptop',
    now: clock.now,
    confirm: async (q) => (questions.push(q), true),
    sgRetry: { sleep: clock.sleep, delayMs: 1000 },
    questions,
    ...overrides,
  };
}
