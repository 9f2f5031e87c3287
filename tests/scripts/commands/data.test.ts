// npm run backup, restore and deploy as a user runs them (main with argv), against a box
// provisioned in the fake account; asserts on the bucket, the box and its tags afterwards.
import { expect } from 'chai';
import { main as backup } from '../../../scripts/backup.js';
import { main as backups } from '../../../scripts/backups.js';
import { main as deploy } from '../../../scripts/deploy.js';
import { main as provision } from '../../../scripts/provision.js';
import { main as restore } from '../../../scripts/restore.js';
import { rejection, useFakeAws, type FakeAws, type FakeInstance, type World } from '../fakes/fake-aws.js';
import { appBoxes, type AppRelease } from '../fakes/fake-app-box.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { keysUnder } from '../fakes/fake-s3.js';
import { SHA } from '../provision/fixtures.js';
import { gitAtNext, NEXT } from './next-commit.js';

const BUCKET = 'pillbox-123456789012-eu-west-1';
const dumps = (world: World) => keysUnder(world, BUCKET, 'envs/dev/backups/').filter((k) => k.endsWith('.dump'));


describe('the data commands, run as a user runs them', () => {
  let world: World;
  let fake: FakeAws;
  let box: FakeInstance;
  let releases: Map<string, AppRelease>;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  beforeEach(async () => {
    await provision(['--env', 'dev', '--ci'], cliDeps(fake));
    box = world.instances[0]!;
    releases = appBoxes(world);
  });
  const tag = (key: string) => box.tags.find((t) => t.Key === key)?.Value;

  describe('npm run backup', () => {
    it('stores a manual backup of the box in the bucket and names it', async () => {
      const cli = cliDeps(fake);
      await backup(['--env', 'dev'], cli);
      expect(dumps(world)).to.have.length(1);
      expect(cli.out()).to.include(`s3://${BUCKET}/${dumps(world)[0]}`);
    });
  });

  describe('npm run backups', () => {
    it('lists the backups of the environment', async () => {
      await backup(['--env', 'dev'], cliDeps(fake));
      const cli = cliDeps(fake);
      await backups(['--env', 'dev', '--json'], cli);
      expect((JSON.parse(cli.out()) as { key: string }[]).map((r) => r.key)).to.deep.equal(dumps(world));
    });
  });

  describe('npm run restore', () => {
    beforeEach(() => backup(['--env', 'dev'], cliDeps(fake)));

    it('backs up the data it replaces first (the default), then restores the backup asked for', async () => {
      const [taken] = dumps(world);
      box.box.data.rows = { medications: 7, schema_migrations: 1 };
      const cli = cliDeps(fake);
      await restore(['--env', 'dev', '--from', 'latest', '--yes'], cli);
      expect(dumps(world), 'the safety backup beside the one restored').to.have.length(2);
      expect(box.box.data.rows).to.deep.equal({ medications: 3, schema_migrations: 1 });
      expect(cli.out()).to.include(`restored       ${taken}`);
    });

    it('with --no-backup restores without a safety backup', async () => {
      await restore(['--env', 'dev', '--from', 'latest', '--yes', '--no-backup'], cliDeps(fake));
      expect(dumps(world)).to.have.length(1);
    });

    it('asks first by default: without a terminal and without --yes it stops and changes nothing', async () => {
      box.box.data.rows = { medications: 7, schema_migrations: 1 };
      const err = await rejection(restore(['--env', 'dev', '--from', 'latest'], cliDeps(fake)));
      expect(err.message).to.equal('restore needs a confirmation and there is no terminal to ask.');
      expect(box.box.data.rows).to.deep.equal({ medications: 7, schema_migrations: 1 });
      expect(dumps(world)).to.have.length(1);
    });

    it('waits 180 seconds for the app by default, and --health-timeout changes it', async () => {
      await restore(['--env', 'dev', '--from', 'latest', '--yes'], cliDeps(fake));
      await restore(['--env', 'dev', '--from', 'latest', '--yes', '--health-timeout', '30'], cliDeps(fake));
      const starts = world.sentScripts.flat().filter((l) => / up --detach --no-deps --wait --wait-timeout \d+ app$/.test(l));
      expect(starts.map((l) => / --wait-timeout (\d+) /.exec(l)?.[1])).to.deep.equal(['180', '30']);
    });
  });

  describe('npm run deploy', () => {
    it('backs up before a deploy that changes migrations (the default), ships the commit and records it on the instance', async () => {
      const cli = cliDeps(fake, { git: gitAtNext() });
      await deploy(['--env', 'dev'], cli);
      expect(dumps(world).map((k) => k.replace(/.*\//, ''))).to.have.length(1);
      expect(releases.get(box.id)).to.deep.include({ commit: NEXT, fetched: [NEXT] });
      expect(tag('GitSha')).to.equal(NEXT);
      expect(keysUnder(world, BUCKET, 'envs/dev/source/')).to.include(`envs/dev/source/${NEXT}.tar.gz`);
      expect(cli.out()).to.include(`deployed        ${SHA.slice(0, 7)} → ${NEXT.slice(0, 7)}`);
    });

    it('takes no backup when the migrations are the same', async () => {
      await deploy(['--env', 'dev'], cliDeps(fake, { git: gitAtNext({ migrates: false }) }));
      expect(dumps(world)).to.deep.equal([]);
      expect(tag('GitSha')).to.equal(NEXT);
    });

    it('with --no-backup takes no backup even when the migrations change', async () => {
      await deploy(['--env', 'dev', '--no-backup'], cliDeps(fake, { git: gitAtNext() }));
      expect(dumps(world)).to.deep.equal([]);
      expect(tag('GitSha')).to.equal(NEXT);
    });

    it('gives each color 180 seconds to turn ready by default, and --health-timeout changes it', async () => {
      await deploy(['--env', 'dev', '--health-timeout', '45'], cliDeps(fake, { git: gitAtNext({ migrates: false }) }));
      const limits = () => world.sentScripts.flat().flatMap((l) => [.../http:\/\/127\.0\.0\.1:3000\/readyz (\d+) \d+ docker compose /.exec(l)?.slice(1) ?? []]);
      expect(limits()).to.include('45').and.not.include('180');
      world.sentScripts.length = 0;
      releases.get(box.id)!.commit = SHA;
      await deploy(['--env', 'dev'], cliDeps(fake, { git: gitAtNext({ migrates: false }) }));
      expect(limits()).to.include('180').and.not.include('45');
    });

    it('deploys HEAD by default', async () => {
      const asked: string[] = [];
      const git = gitAtNext({ migrates: false });
      await deploy(['--env', 'dev'], cliDeps(fake, { git: async (args) => (asked.push(args.join(' ')), git(args)) }));
      expect(asked).to.include('rev-parse --verify --quiet HEAD^{commit}');
    });
  });
});
