// npm run render-user-data as a user runs it (main with argv): the user-data provision would send,
// printed without any AWS call, valid for `cloud-init schema`, each default of its flag table in it.
import { expect } from 'chai';
import { parse } from 'yaml';
import { main as renderUserData } from '../../../scripts/render-user-data.js';
import type { GitRunner } from '../../../scripts/lib/core/git.js';
import { cloudInitSchema } from '../../cloud-init/cloud-init-schema.js';
import { fileIn, type CloudConfig } from '../../cloud-init/box-root.js';
import { rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { aGit, SHA } from '../provision/fixtures.js';

const HOUR_MS = 3_600_000;

describe('npm run render-user-data', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  /** Renders as a user would; returns the text and the box's settings file as a map. */
  async function render(argv: string[], env: Record<string, string> = { AWS_REGION: 'eu-west-1' }, git: GitRunner = aGit()) {
    const cli = cliDeps(fake, { env, git });
    await renderUserData(argv, cli);
    const text = cli.out();
    const settings = new Map(
      fileIn(parse(text) as CloudConfig, '/etc/pillbox/pillbox.env')
        .split('\n')
        .filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
    );
    return { text, settings, err: cli.err() };
  }

  it('by default renders a valid user-data for env preview, HEAD, 8 hours, open to everyone, built on the box, asking AWS nothing', async () => {
    const git = aGit();
    const { text, settings, err } = await render([], undefined, git);
    expect(git.asked).to.include('rev-parse --verify --quiet HEAD^{commit}');
    expect(cloudInitSchema(text)).to.match(/^Valid cloud-config/);
    expect(text.startsWith('#cloud-config\n')).to.equal(true);
    expect(Object.fromEntries(settings)).to.deep.include({
      PILLBOX_ENV: 'preview',
      AWS_REGION: 'eu-west-1',
      PILLBOX_GIT_SHA: SHA,
      PILLBOX_BUCKET: 'pillbox-000000000000-eu-west-1',
      PILLBOX_SOURCE_KEY: `envs/preview/source/${SHA}.tar.gz`,
      // Only a real archive has a digest: the preview says so with zeros, which the box would refuse.
      PILLBOX_SOURCE_SHA256: '0'.repeat(64),
      PILLBOX_EXPIRES_AT: new Date(fake.clock.now() + 8 * HOUR_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      PILLBOX_ALLOWED_CIDR: '0.0.0.0/0',
      PILLBOX_DOMAIN: '',
      PILLBOX_APP_IMAGE: '',
    });
    expect(err).to.equal('');
    expect(world.log).to.deep.equal([]);
  });

  it('falls back to us-east-1 without a region, or with an empty AWS_REGION', async () => {
    expect((await render([], {})).settings.get('AWS_REGION')).to.equal('us-east-1');
    const empty = await render([], { AWS_REGION: '' });
    expect(empty.settings.get('AWS_REGION')).to.equal('us-east-1');
    expect(empty.settings.get('PILLBOX_BUCKET')).to.equal('pillbox-000000000000-us-east-1');
  });

  it('renders what each flag asks for, and the result still validates', async () => {
    const { text, settings } = await render(['--env', 'feat-x', '--region', 'eu-central-1', '--ttl-hours', '2', '--domain', 'app.example.com', '--allowed-cidr', '198.51.100.0/24', '--app-image', 'ghcr.io/acme/pillbox:1.2.3']);
    expect(cloudInitSchema(text)).to.match(/^Valid cloud-config/);
    expect(Object.fromEntries(settings)).to.deep.include({
      PILLBOX_ENV: 'feat-x',
      AWS_REGION: 'eu-central-1',
      PILLBOX_EXPIRES_AT: new Date(fake.clock.now() + 2 * HOUR_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      PILLBOX_DOMAIN: 'app.example.com',
      PILLBOX_ALLOWED_CIDR: '198.51.100.0/24',
      PILLBOX_APP_IMAGE: 'ghcr.io/acme/pillbox:1.2.3',
    });
  });

  it('ships the commit --ref names, and a placeholder commit when git cannot resolve it', async () => {
    const asked: string[] = [];
    const git: GitRunner = async (args) => {
      asked.push(args.join(' '));
      if (args.join(' ') === 'rev-parse --verify --quiet v1.2^{commit}') return 'a'.repeat(40);
      throw new Error('fatal: not a git repository');
    };
    expect((await render(['--ref', 'v1.2'], undefined, git)).settings.get('PILLBOX_GIT_SHA')).to.equal('a'.repeat(40));
    expect(asked).to.include('rev-parse --verify --quiet v1.2^{commit}');
    expect((await render(['--ref', 'nowhere'], undefined, git)).settings.get('PILLBOX_GIT_SHA')).to.equal('0'.repeat(40));
  });

  it('stops on a bad setting with one line naming it', async () => {
    const err = await rejection(render(['--ttl-hours', '0']));
    expect(err.message).to.match(/^--ttl-hours=0: /);
  });
});
