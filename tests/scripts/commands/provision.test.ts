// npm run provision as a user runs it (main with argv), against the fake account: each default
// of its flag table, asserted on the box and the account it leaves.
import { expect } from 'chai';
import { main as alerts } from '../../../scripts/alerts.js';
import { main as provision } from '../../../scripts/provision.js';
import { liveInstances, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { SHA } from '../provision/fixtures.js';

const BUCKET = 'pillbox-123456789012-eu-west-1';
const HOUR_MS = 3_600_000;

describe('npm run provision', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  const tag = (key: string) => liveInstances(world)[0]?.tags.find((t) => t.Key === key)?.Value;
  const ingress = () => [...new Set(world.rules.map((r) => r.cidr))];
  /** Who may reach each published port: 80 stays open to everyone for the ACME challenge and the redirect. */
  const ingressByPort = () => Object.fromEntries(world.rules.map((r) => [r.port, r.cidr]));

  it('by default launches a t3.medium on 30 GiB, expiring in 8 hours, ships HEAD and waits until the app answers', async () => {
    const started = fake.clock.now();
    const cli = cliDeps(fake);
    await provision(['--env', 'dev', '--ci'], cli);
    const [box] = liveInstances(world);
    expect(box).to.deep.include({ type: 't3.medium', volumeGb: 30, state: 'running' });
    expect(Date.parse(tag('ExpiresAt') ?? '') - started).to.be.within(8 * HOUR_MS, 8 * HOUR_MS + 15 * 60_000);
    expect(tag('GitSha')).to.equal(SHA);
    expect(world.buckets.get(BUCKET)?.objects.has(`envs/dev/source/${SHA}.tar.gz`)).to.equal(true);
    expect(world.sentScripts.flat().some((l) => l.endsWith('/readyz')), 'waited for the app').to.equal(true);
    expect(cli.out()).to.match(/^Environment {3}dev \(eu-west-1, account 123456789012\)\nInstance {6}i-[0-9a-f]+ \(t3\.medium, 30 GiB\)\n/);
    expect(cli.out(), 'no plan text after a real run').not.to.include('Plan for');
  });

  it('says when no alert destination is set and how to set one, and no longer once `npm run alerts` stored one', async () => {
    const before = cliDeps(fake);
    await provision(['--env', 'dev', '--ci', '--no-wait'], before);
    expect(before.out()).to.match(/^Alerts +no destination set: alerts wait \(retried for two days\) until `npm run alerts -- --env dev --webhook https:\/\/…`$/m);
    await alerts(['--env', 'dev', '--webhook', 'https://hooks.example.com/services/T0/B0/x'], cliDeps(fake));
    const unwaited = cliDeps(fake);
    await provision(['--env', 'dev', '--ci', '--no-wait'], unwaited);
    expect(unwaited.out(), 'no test alert to offer before the box is up').to.match(/^Alerts +sent to the stored destination$/m);
    const waited = cliDeps(fake);
    await provision(['--env', 'dev', '--ci'], waited);
    expect(waited.out()).to.match(/^Alerts +sent to the stored destination; `npm run alerts -- --env dev --test` sends a test alert$/m);
  });

  it('keeps backups 14 days by default, and --backup-retention-days changes it', async () => {
    const days = () => world.buckets.get(BUCKET)?.lifecycle?.find((r) => r.Filter?.And?.Tags?.some((t) => t.Value === 'backup'))?.Expiration?.Days;
    // The box comes up first: a re-provision checks the allowed range on it over SSM.
    await provision(['--env', 'dev', '--ci'], cliDeps(fake));
    expect(days()).to.equal(14);
    await provision(['--env', 'dev', '--ci', '--no-wait', '--backup-retention-days', '3'], cliDeps(fake));
    expect(days()).to.equal(3);
  });

  it('opens 80 and 443 to everyone with --ci (no terminal to learn the address from)', async () => {
    await provision(['--env', 'dev', '--ci', '--no-wait'], cliDeps(fake));
    expect(ingress()).to.deep.equal(['0.0.0.0/0']);
  });

  it('at a terminal opens the site to the caller\'s address /32 only, and 80 to everyone for the ACME challenge', async () => {
    await provision(['--env', 'dev', '--no-wait'], cliDeps(fake, { tty: true, lookupAddress: async () => '198.51.100.7' }));
    expect(ingressByPort()).to.deep.equal({ 80: '0.0.0.0/0', 443: '198.51.100.7/32' });
  });

  it('with --ci does not ask for the address even at a terminal', async () => {
    await provision(['--env', 'dev', '--ci', '--no-wait'], cliDeps(fake, { tty: true, lookupAddress: () => Promise.reject(new Error('asked for the address')) }));
    expect(ingress()).to.deep.equal(['0.0.0.0/0']);
  });

  it('with --no-wait returns after the launch without asking the box anything', async () => {
    await provision(['--env', 'dev', '--ci', '--no-wait'], cliDeps(fake));
    expect(world.instances).to.have.length(1);
    expect(world.sentScripts).to.deep.equal([]);
  });

  it('with --plan changes nothing and prints the plan', async () => {
    const cli = cliDeps(fake);
    await provision(['--env', 'dev', '--ci', '--plan'], cli);
    expect(world.instances).to.deep.equal([]);
    expect(world.roles.size + world.groups.length).to.equal(0);
    expect(cli.out()).to.match(/^Plan for dev in eu-west-1 \(\d+ change\(s\)\); nothing was changed:\n/);
    expect(cli.out()).to.match(/create +instance/);
    const json = cliDeps(fake);
    await provision(['--env', 'dev', '--ci', '--plan', '--json'], json);
    expect((JSON.parse(json.out()) as { planned: boolean }).planned, 'JSON alone on stdout').to.equal(true);
  });

  it('takes the settings from the environment, as .env.example documents them', async () => {
    const env = { AWS_REGION: 'eu-west-1', PILLBOX_ENV: 'dev', PILLBOX_INSTANCE_TYPE: 't3.large', PILLBOX_VOLUME_GB: '40', PILLBOX_TTL_HOURS: '2', CI: 'true' };
    const started = fake.clock.now();
    await provision(['--no-wait'], cliDeps(fake, { env }));
    expect(liveInstances(world)[0]).to.deep.include({ type: 't3.large', volumeGb: 40 });
    expect(Date.parse(tag('ExpiresAt') ?? '') - started).to.be.within(2 * HOUR_MS, 2 * HOUR_MS + 15 * 60_000);
    expect(ingress()).to.deep.equal(['0.0.0.0/0']);
  });
});
