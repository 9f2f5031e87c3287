// The allowed range of a new environment: the operator's /32 at a terminal (through an
// injected address lookup), a refusal when the lookup fails, and a one-line warning
// whenever the range is the whole internet (asked for, or in CI).
import { expect } from 'chai';
import * as ec2 from '@aws-sdk/client-ec2';
import { httpsReachability, WORLD_OPEN_WARNING } from '../../../scripts/lib/provision/allowed-cidr.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { provisionRows } from '../../../scripts/lib/provision/summary.js';
import { rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from './fixtures.js';

const MUTATING = /^(Create|Put|Delete|Run|Terminate|Authorize|Revoke|Add|Remove|Send|Attach|Detach|Modify)/;

describe('provision: the allowed range', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  /** A lookup that answers `answer` (or fails with it), counting its calls. */
  const lookup = (answer: string | Error) => {
    const calls = { count: 0 };
    const fn = async () => {
      calls.count += 1;
      if (answer instanceof Error) throw answer;
      return answer;
    };
    return { fn, calls };
  };
  const atTerminal = (fn: () => Promise<string>) => depsFor(fake, { interactive: true, lookupAddress: fn });
  // Each range the group lets in, once, whatever the port (80 and 443 share it).
  /** The ranges HTTPS was opened to (HTTP is open to everyone, whatever the range). */
  const authorized = () => [
    ...new Set(
      fake.mocks.ec2
        .commandCalls(ec2.AuthorizeSecurityGroupIngressCommand)
        .flatMap((c) => c.args[0].input.IpPermissions?.filter((p) => p.FromPort === 443).flatMap((p) => p.IpRanges?.map((r) => r.CidrIp)) ?? []),
    ),
  ];
  /** What the run changed besides the lock it takes and releases. */
  const changed = () => world.log.filter((n) => MUTATING.test(n) && !/^(Put|Delete)Parameter$/.test(n));

  it("defaults to the operator's own address as a /32 at a terminal, and says port 80 stays open to everyone for the challenge", async () => {
    const { fn, calls } = lookup('203.0.113.77');
    const deps = atTerminal(fn);
    const result = await provision(aConfig(), deps);
    expect(calls.count).to.equal(1);
    expect(authorized()).to.deep.equal(['203.0.113.77/32']);
    expect(result.allowedCidr).to.equal('203.0.113.77/32');
    expect(provisionRows(result)).to.deep.include(['Allowed CIDR', '203.0.113.77/32']);
    expect(deps.log()).to.include('Allowed CIDR: 203.0.113.77/32 (your address, from checkip.amazonaws.com).\n');
    expect(deps.log()).to.include(`  ${httpsReachability('203.0.113.77/32')}\n`);
    expect(deps.log()).not.to.include(WORLD_OPEN_WARNING);
  });

  it('refuses in one line asking for --allowed-cidr when the lookup fails (no network), and creates nothing', async () => {
    const { fn } = lookup(Object.assign(new Error('getaddrinfo ENOTFOUND checkip.amazonaws.com'), { code: 'ENOTFOUND' }));
    const err = await rejection(provision(aConfig(), atTerminal(fn)));
    expect(err.message).to.equal(
      'Could not look up your public address at checkip.amazonaws.com (getaddrinfo ENOTFOUND checkip.amazonaws.com), and provision will not open the app to everyone instead.',
    );
    expect(err.hint).to.equal('Pass --allowed-cidr <your IPv4 address>/32 (or 0.0.0.0/0 to open the app to everyone).');
    expect(changed()).to.deep.equal([]);
    expect(world.params.has('/pillbox/dev/lock'), 'the lock is released').to.equal(false);
  });

  it('refuses an answer that is not an IPv4 address (a captive portal page) rather than guessing', async () => {
    const { fn } = lookup('<html><title>Hotel Wi-Fi login</title></html>');
    const err = await rejection(provision(aConfig(), atTerminal(fn)));
    expect(err.message).to.equal('checkip.amazonaws.com answered "<html><title>Hotel Wi-Fi login</title></html>", which is not an IPv4 address.');
    expect(changed()).to.deep.equal([]);
  });

  it('explains that an IPv6 answer cannot become a /128 rule: the box has no IPv6 address', async () => {
    const { fn } = lookup('2001:db8::7');
    const err = await rejection(provision(aConfig(), atTerminal(fn)));
    expect(err.message).to.match(/^checkip\.amazonaws\.com answered with the IPv6 address 2001:db8::7, but the box is reachable over IPv4 only .* a \/128 rule would let nobody in\.$/);
    expect(err.hint).to.equal('Pass --allowed-cidr with the IPv4 address you reach the internet from, as <address>/32.');
    expect(changed()).to.deep.equal([]);
  });

  it('warns in one line when 0.0.0.0/0 is asked for explicitly, without looking anything up', async () => {
    const { fn, calls } = lookup('203.0.113.77');
    const deps = atTerminal(fn);
    await provision(aConfig({ allowedCidr: '0.0.0.0/0' }), deps);
    expect(calls.count).to.equal(0);
    expect(authorized()).to.deep.equal(['0.0.0.0/0']);
    expect(deps.log()).to.include(`Allowed CIDR: 0.0.0.0/0 (--allowed-cidr).\n${WORLD_OPEN_WARNING}\n`);
    expect(WORLD_OPEN_WARNING).not.to.include('\n');
  });

  it('opens 0.0.0.0/0 in CI (no terminal), with the warning, and never looks up an address', async () => {
    const { fn, calls } = lookup(new Error('must not be called'));
    const deps = depsFor(fake, { interactive: false, lookupAddress: fn });
    const result = await provision(aConfig({ ci: true }), deps);
    expect(calls.count).to.equal(0);
    expect(result.allowedCidr).to.equal('0.0.0.0/0');
    expect(authorized()).to.deep.equal(['0.0.0.0/0']);
    expect(deps.log()).to.include(`Allowed CIDR: 0.0.0.0/0 (the default without a terminal (--ci / CI)).\n${WORLD_OPEN_WARNING}\n`);
  });

  it('uses a range asked for at a terminal as it is, with the HTTPS note and no lookup', async () => {
    const { fn, calls } = lookup('203.0.113.77');
    const deps = atTerminal(fn);
    await provision(aConfig({ allowedCidr: '198.51.100.0/24' }), deps);
    expect(calls.count).to.equal(0);
    expect(authorized()).to.deep.equal(['198.51.100.0/24']);
    expect(deps.log()).to.include('Only 198.51.100.0/24 reaches the app (HTTPS, refused by the edge too); port 80 is open to 0.0.0.0/0');
  });

  it('shows the looked-up range in --plan, creating nothing', async () => {
    const { fn } = lookup('203.0.113.77');
    const plan = await provision(aConfig({ plan: true }), atTerminal(fn));
    expect(plan.steps.find((s) => s.resource === 'ingress')).to.deep.include({ action: 'create', name: 'tcp 80 from 0.0.0.0/0, tcp 443 from 203.0.113.77/32' });
    expect(world.log.filter((n) => MUTATING.test(n))).to.deep.equal([]);
  });
});
