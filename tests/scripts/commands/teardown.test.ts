// npm run teardown as a user runs it (main with argv), against the fake account; asserts on what is left.
import { expect } from 'chai';
import { main as provision } from '../../../scripts/provision.js';
import { main as teardown } from '../../../scripts/teardown.js';
import { awsError, failNext, liveInstances, rejection, settle, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { keysUnder } from '../fakes/fake-s3.js';

const BUCKET = 'pillbox-123456789012-eu-west-1';
const BACKUPS = 'envs/dev/backups/';

describe('npm run teardown', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  beforeEach(() => provision(['--env', 'dev', '--ci'], cliDeps(fake)));

  it('backs the database up before it removes the box, and keeps every backup (the defaults)', async () => {
    const cli = cliDeps(fake);
    await teardown(['--env', 'dev', '--yes'], cli);
    const kept = keysUnder(world, BUCKET, BACKUPS);
    expect(kept.filter((k) => k.endsWith('.dump')), 'the final backup').to.have.length(1);
    expect(liveInstances(world)).to.deep.equal([]);
    expect(world.roles.size + world.profiles.size + world.groups.length).to.equal(0);
    expect(cli.out()).to.include(`final backup ${kept.find((k) => k.endsWith('.dump'))}; kept backups ${BACKUPS} (2 object(s)`);
  });

  it('removes a box whose SSM agent lost its connection without a backup, and says so', async () => {
    liveInstances(world)[0]!.box.agentLost = true;
    const cli = cliDeps(fake);
    await teardown(['--env', 'dev', '--yes'], cli);
    expect(keysUnder(world, BUCKET, BACKUPS)).to.deep.equal([]);
    expect(liveInstances(world)).to.deep.equal([]);
    expect(cli.err()).to.match(/i-[0-9a-f]+ does not answer through SSM, so it goes without a backup\./);
  });

  it('with --no-backup removes the box without a backup', async () => {
    await teardown(['--env', 'dev', '--yes', '--no-backup'], cliDeps(fake));
    expect(keysUnder(world, BUCKET, BACKUPS)).to.deep.equal([]);
    expect(liveInstances(world)).to.deep.equal([]);
  });

  it('with --delete-backups deletes the backups it took too', async () => {
    await teardown(['--env', 'dev', '--yes', '--delete-backups'], cliDeps(fake));
    expect(keysUnder(world, BUCKET, BACKUPS)).to.deep.equal([]);
  });

  it('with --delete-backups reports a backup S3 would not delete (DeleteObjects Errors), and a second run converges', async () => {
    const bucket = world.buckets.get(BUCKET)!;
    await teardown(['--env', 'dev', '--yes'], cliDeps(fake));
    const [held] = keysUnder(world, BUCKET, BACKUPS);
    bucket.undeletable = new Map([[held!, { Code: 'AccessDenied', Message: 'Access Denied because object protected by object lock.' }]]);
    const err = await rejection(teardown(['--env', 'dev', '--yes', '--delete-backups'], cliDeps(fake)));
    expect(err.message).to.match(new RegExp(`^S3 kept 1 object\\(s\\), e\\.g\\. ${held}: AccessDenied`));
    expect(keysUnder(world, BUCKET, BACKUPS)).to.deep.equal([held]);
    bucket.undeletable.clear();
    await teardown(['--env', 'dev', '--yes', '--delete-backups'], cliDeps(fake));
    expect(keysUnder(world, BUCKET, BACKUPS)).to.deep.equal([]);
  });

  it('asks first by default: without a terminal and without --yes it stops and removes nothing', async () => {
    const err = await rejection(teardown(['--env', 'dev'], cliDeps(fake)));
    expect(err.message).to.equal('teardown needs a confirmation and there is no terminal to ask.');
    expect(liveInstances(world)).to.have.length(1);
  });

  it('asks on a terminal and removes nothing on "n"', async () => {
    const asked: string[] = [];
    const cli = cliDeps(fake, { tty: true, ask: async (q) => (asked.push(q), 'n') });
    await teardown(['--env', 'dev'], cli);
    expect(asked).to.have.length(1);
    expect(liveInstances(world)).to.have.length(1);
  });

  it('with --all-expired removes every environment past its ExpiresAt, and only those', async () => {
    await provision(['--env', 'other', '--ci', '--ttl-hours', '24'], cliDeps(fake));
    await settle(world, 9 * 3_600_000);
    const cli = cliDeps(fake);
    await teardown(['--all-expired', '--yes', '--no-backup'], cli);
    expect(liveInstances(world, 'dev')).to.deep.equal([]);
    expect(liveInstances(world, 'other')).to.have.length(1);
    expect(cli.out()).to.match(/^dev /m).and.not.match(/^other /m);
  });

  it('with --all-expired fails, after the rest, when one environment could not be removed', async () => {
    // Past the 8-hour expiry, before the off-box guard fires (it would terminate the box itself).
    await settle(world, 8 * 3_600_000 + 10 * 60_000);
    failNext(world, 'TerminateInstances', awsError('AccessDenied', 'not authorized to perform: ec2:TerminateInstances'));
    const cli = cliDeps(fake);
    const err = await rejection(teardown(['--all-expired', '--yes', '--no-backup'], cli));
    expect(err.message).to.match(/dev/);
    expect(liveInstances(world)).to.have.length(1);
  });

  it('takes the environment from PILLBOX_ENV, and prints JSON with --json', async () => {
    const cli = cliDeps(fake, { env: { AWS_REGION: 'eu-west-1', PILLBOX_ENV: 'dev' } });
    await teardown(['--yes', '--json'], cli);
    expect(liveInstances(world)).to.deep.equal([]);
    expect((JSON.parse(cli.out()) as { env: string }[])[0]?.env).to.equal('dev');
  });
});
