// restore's and deploy's error matrices: AWS refuses (AccessDenied) or keeps throttling past the
// SDK's retries at each call that changes something. After each: the operator is told why, the
// app is not left stopped by a step that ran, and running the command again converges.
import { expect } from 'chai';
import { main as backup } from '../../../scripts/backup.js';
import { main as deploy } from '../../../scripts/deploy.js';
import { main as provision } from '../../../scripts/provision.js';
import { main as restore } from '../../../scripts/restore.js';
import { formatError } from '../../../scripts/lib/core/operator-error.js';
import { awsError, useFakeAws, type FakeAws, type FakeInstance, type World } from '../fakes/fake-aws.js';
import { appBoxes, type AppRelease } from '../fakes/fake-app-box.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { keysUnder } from '../fakes/fake-s3.js';
import { MUTATING } from '../provision/mutations.js';
import { gitAtNext, NEXT } from './next-commit.js';

const FAULTS = {
  AccessDenied: () => awsError('AccessDenied', 'User: arn:aws:iam::123456789012:user/alice is not authorized to perform this action'),
  'throttling past the retries': () => Object.assign(awsError('ThrottlingException', 'Rate exceeded'), { $metadata: { attempts: 8 } }),
};
const BUCKET = 'pillbox-123456789012-eu-west-1';

/** Every call that changes something, in order: restore's box steps, deploy's upload, box steps and tag. */
const RESTORE_MUTATIONS = Array.from({ length: 8 }, () => 'SendCommand'); // backup, download, render, stop, apply, start, count, clean-up
const DEPLOY_MUTATIONS = ['PutObject', ...Array.from({ length: 23 }, () => 'SendCommand'), 'CreateTags', 'SendCommand', 'SendCommand']; // observe, the allowed range, route, the write password on the box, backup, fetch, tag, activate, alerts paused, build, the swap, alerts resumed, a write through the edge; GitSha; the infrastructure compared and recorded
const pointsOf = (list: string[]) => list.map((command, i) => [command, list.slice(0, i + 1).filter((c) => c === command).length] as const);

describe('restore and deploy, when AWS refuses a call', () => {
  let world: World;
  let fake: FakeAws;
  let box: FakeInstance;
  let releases: Map<string, AppRelease>;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  beforeEach(async () => {
    await provision(['--env', 'dev', '--ci'], cliDeps(fake));
    box = world.instances[0]!;
    releases = appBoxes(world);
    await backup(['--env', 'dev'], cliDeps(fake));
    box.box.data.rows = { medications: 9, schema_migrations: 1 };
    box.box.data.steps.length = 0;
    world.log.length = 0;
  });
  const mutations = () => world.log.filter((n) => MUTATING.test(n) && n !== 'PutParameter' && n !== 'DeleteParameter');

  /** The `occurrence`th call of `command` fails; returns what the run threw (undefined when it converged by itself). */
  async function faulted(command: string, occurrence: number, error: Error, run: () => Promise<void>): Promise<unknown> {
    let seen = 0;
    world.onCall = (name) => {
      if (name === command && ++seen === occurrence) world.faults.set(name, [error]);
    };
    const err = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(seen, 'the fault point was reached').to.be.at.least(occurrence);
    world.onCall = undefined;
    return err;
  }

  it('knows every mutating call of a restore and of a deploy', async () => {
    await restore(['--env', 'dev', '--from', 'latest', '--yes'], cliDeps(fake));
    expect(mutations()).to.deep.equal(RESTORE_MUTATIONS);
    world.log.length = 0;
    await deploy(['--env', 'dev'], cliDeps(fake, { git: gitAtNext() }));
    expect(mutations()).to.deep.equal(DEPLOY_MUTATIONS);
  });

  for (const [fault, make] of Object.entries(FAULTS)) {
    for (const [command, occurrence] of pointsOf(RESTORE_MUTATIONS)) {
      it(`restore: ${fault} at ${command} #${occurrence}: said, the app started again after a stop, and a re-run restores`, async () => {
        const [taken] = keysUnder(world, BUCKET, 'envs/dev/backups/').filter((k) => k.endsWith('.dump'));
        const err = await faulted(command, occurrence, make(), () => restore(['--env', 'dev', '--from', taken!, '--yes'], cliDeps(fake)));
        const steps = box.box.data.steps;
        if (err !== undefined) expect(formatError(err, false)).not.to.include('This is unexpected');
        // SendCommand resends a throttled send for a minute, so throttling alone never fails a step.
        if (fault === 'AccessDenied' && occurrence < 8) expect(err, 'the run failed').not.to.equal(undefined);
        if (steps.includes('stop') && occurrence !== 6) expect(steps.lastIndexOf('start'), 'started after the stop').to.be.greaterThan(steps.lastIndexOf('stop'));
        // By key: the failed run's safety backup may be the latest now.
        await restore(['--env', 'dev', '--from', taken!, '--yes', '--no-backup'], cliDeps(fake));
        expect(box.box.data.rows).to.deep.equal({ medications: 3, schema_migrations: 1 });
      });
    }
    for (const [command, occurrence] of pointsOf(DEPLOY_MUTATIONS)) {
      it(`deploy: ${fault} at ${command} #${occurrence}: said, and a re-run serves the commit and records it`, async () => {
        const err = await faulted(command, occurrence, make(), () => deploy(['--env', 'dev'], cliDeps(fake, { git: gitAtNext() })));
        if (err !== undefined) expect(formatError(err, false)).not.to.include('This is unexpected');
        await deploy(['--env', 'dev'], cliDeps(fake, { git: gitAtNext() }));
        expect(releases.get(box.id)?.commit).to.equal(NEXT);
        expect(box.tags.find((t) => t.Key === 'GitSha')?.Value).to.equal(NEXT);
      });
    }
  }
});
