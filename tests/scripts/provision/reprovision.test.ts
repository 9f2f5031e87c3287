// The re-provision matrix: each setting of a running box, changed in place, replaced with
// --replace, or refused without it, against the fake AWS, asserting what was sent.
import { expect } from 'chai';
import * as ec2 from '@aws-sdk/client-ec2';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import { isoSeconds } from '../../../scripts/lib/core/names.js';
import { formatUtc } from '../../../scripts/lib/core/time.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { planText, provisionRows } from '../../../scripts/lib/provision/summary.js';
import { commandNames, liveInstances, rejection, settle, useFakeAws, type FakeAws, type FakeInstance, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from './fixtures.js';

const HOUR_MS = 3_600_000;
// The CPU credit switch is left out: every run that sees the box healthy asks for it again.
const EC2_CHANGES = /^(Run|Terminate|Authorize|Revoke|CreateTags|CreateSecurityGroup|DeleteSecurityGroup)/;
const row = (rows: readonly (readonly [string, string])[], label: string) => rows.find(([k]) => k === label)?.[1];

describe('re-provision of a running box', () => {
  let world: World;
  let fake: FakeAws;
  let box: FakeInstance;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('refuses, terminating nothing, when two live boxes are not a replacement and its original', async () => {
    // A second provision inside EC2's describe lag does not see the first one's box and launches another.
    await provision(aConfig({ noWait: true }), depsFor(fake, { runId: 'first000' }));
    await provision(aConfig({ noWait: true }), depsFor(fake, { runId: 'second00' }));
    fake.clock.advance(world.timing.describeLagMs);
    world.log.length = 0;
    const err = await rejection(provision(aConfig(), depsFor(fake, { runId: 'third000' })));
    expect(err.message).to.match(/^Environment "dev" has more than one live box \(i-\w+, i-\w+\) and none was launched to replace the other/);
    expect(world.log.filter((n) => EC2_CHANGES.test(n)), 'nothing terminated').to.deep.equal([]);
    expect(liveInstances(world)).to.have.length(2);
  });

  /** A healthy box launched with `settings`, then the histories cleared so only the re-provision is seen. */
  async function running(settings: Parameters<typeof aConfig>[0] = {}): Promise<void> {
    await provision(aConfig(settings), depsFor(fake, { runId: 'first000' }));
    box = world.instances[0]!;
    world.log.length = 0;
    world.sentScripts.length = 0;
    for (const mock of Object.values(fake.mocks)) mock.resetHistory();
  }
  const again = (settings: Parameters<typeof aConfig>[0]) => provision(aConfig(settings), depsFor(fake, { runId: 'again000' }));
  const ec2Changes = () => world.log.filter((n) => EC2_CHANGES.test(n));

  describe('instance type (replace required)', () => {
    it('is refused without --replace in one line naming the setting, old → new and the fix, and nothing is sent but the lock', async () => {
      await running();
      const err = await rejection(again({ instanceType: 't3.large' }));
      expect(err.message).to.equal(`instance type t3.medium → t3.large: this needs a new box, so nothing was changed on ${box.id}.`);
      expect(err.hint).to.equal(`Add --replace to launch one and retire ${box.id} once it is healthy, or drop --instance-type to keep ${box.id}.`);
      expect(ec2Changes()).to.deep.equal([]);
      expect(world.log.filter((n) => /^(Put|Delete)Parameter$/.test(n)), 'the lock, taken and released').to.deep.equal(['PutParameter', 'DeleteParameter']);
      expect(world.params.has('/pillbox/dev/lock')).to.equal(false);
    });

    it('shows "replace required" in --plan, and the line it would stop with', async () => {
      await running();
      const plan = await again({ instanceType: 't3.large', plan: true });
      expect(plan.steps.find((s) => s.resource === 'instance')).to.deep.equal({
        action: 'keep',
        resource: 'instance',
        name: box.id,
        detail: 'replace required: instance type t3.medium → t3.large; refused without --replace',
      });
      expect(plan.changes).to.deep.equal([{ setting: 'instance type', flag: '--instance-type', from: 't3.medium', to: 't3.large', effect: 'replace required' }]);
      expect(planText(plan)).to.include(`Without --replace provision stops here: instance type t3.medium → t3.large: this needs a new box, so nothing was changed on ${box.id}.\n  → Add --replace`);
      expect(commandNames(fake).filter((n) => /^(Run|Terminate|Put|Delete|Create|Authorize|Revoke|Send)/.test(n))).to.deep.equal([]);
    });

    it('with --replace launches the new type on the volume size the box had, and retires the old box once the new one is healthy', async () => {
      await running({ volumeGb: 40 });
      const result = await again({ instanceType: 't3.large', replace: true });
      const [launch] = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand);
      expect(launch!.args[0].input.InstanceType).to.equal('t3.large');
      expect(launch!.args[0].input.BlockDeviceMappings?.[0]?.Ebs?.VolumeSize, 'kept from the box').to.equal(40);
      expect(fake.mocks.ec2.commandCalls(ec2.TerminateInstancesCommand)[0]!.args[0].input.InstanceIds).to.deep.equal([box.id]);
      expect(result.steps.find((s) => s.resource === 'instance')?.detail).to.match(/^replace required: instance type t3.medium → t3.large; launch a new t3.large first/);
      expect(result).to.deep.include({ instanceType: 't3.large', volumeGb: 40, replaced: box.id });
      await settle(world);
      expect(liveInstances(world).map((i) => [i.type, i.volumeGb])).to.deep.equal([['t3.large', 40]]);
    });
  });

  describe('root volume (replace required)', () => {
    it('reads the size from the root volume EC2 reports (BlockDeviceMappings, then DescribeVolumes) and refuses a new one without --replace', async () => {
      await running();
      const err = await rejection(again({ volumeGb: 50 }));
      expect(err.message).to.equal(`root volume 30 GiB → 50 GiB: this needs a new box, so nothing was changed on ${box.id}.`);
      expect(fake.mocks.ec2.commandCalls(ec2.DescribeVolumesCommand).map((c) => c.args[0].input)).to.deep.equal([{ VolumeIds: [box.volumeId] }]);
      expect(ec2Changes()).to.deep.equal([]);
    });

    it('names both settings, and both flags in the fix, when type and volume change together', async () => {
      await running();
      const err = await rejection(again({ instanceType: 'm6i.large', volumeGb: 50 }));
      expect(err.message).to.equal(`instance type t3.medium → m6i.large, root volume 30 GiB → 50 GiB: these need a new box, so nothing was changed on ${box.id}.`);
      expect(err.hint).to.match(/or drop --instance-type and --volume-gb to keep/);
    });

    it('with --replace launches the new size with the type the box had', async () => {
      await running({ instanceType: 't3.large' });
      await again({ volumeGb: 50, replace: true });
      const input = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input;
      expect([input.InstanceType, input.BlockDeviceMappings?.[0]?.Ebs?.VolumeSize]).to.deep.equal(['t3.large', 50]);
    });
  });

  describe('TTL (in place, later only)', () => {
    it('moves the expiry to TTL hours from now through the box timer, then the tag, as extend does; no new box', async () => {
      await running();
      await world.clock.sleep(2 * HOUR_MS);
      const to = new Date(Math.floor(world.clock.now() / 1000) * 1000 + 24 * HOUR_MS);
      const result = await again({ ttlHours: 24 });
      expect(result.steps.find((s) => s.resource === 'expiry')).to.deep.include({ action: 'update', name: box.id });
      const timer = fake.mocks.ssm.commandCalls(SendCommandCommand).find((c) => c.args[0].input.Parameters?.commands?.some((l) => l.includes('pillbox-expire.timer')));
      expect(timer!.args[0].input.InstanceIds).to.deep.equal([box.id]);
      expect(box.box.expiryTimer).to.equal(formatUtc(to));
      const tags = fake.mocks.ec2.commandCalls(ec2.CreateTagsCommand).map((c) => c.args[0].input);
      expect(tags).to.deep.equal([{ Resources: [box.id], Tags: [{ Key: 'ExpiresAt', Value: isoSeconds(to) }] }]);
      expect(world.log.indexOf('CreateTags'), 'the tag after the box').to.be.greaterThan(world.log.indexOf('SendCommand'));
      expect(fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)).to.have.length(0);
      expect(result.expiresAt).to.equal(isoSeconds(to));
      expect(result.changes).to.deep.equal([{ setting: 'expiry', flag: '--ttl-hours', from: '2026-11-21T18:00:00Z', to: isoSeconds(to), effect: 'in place' }]);
      expect(row(provisionRows(result), 'Changed')).to.equal(`expiry 2026-11-21T18:00:00Z → ${isoSeconds(to)} (in place)`);
    });

    it('keeps an expiry that is already later than the TTL asks, saying so, and sends nothing to the box', async () => {
      await running();
      const result = await again({ ttlHours: 2 });
      expect(result.steps.find((s) => s.resource === 'expiry')).to.deep.include({ action: 'keep', name: box.id });
      expect(result.steps.find((s) => s.resource === 'expiry')?.detail).to.match(/^2026-11-21T18:00:00Z, later than --ttl-hours asks \(2026-11-21T1\d:\d\d:\d\dZ\); a TTL only moves the expiry later/);
      expect(world.sentScripts.flat().filter((l) => l.includes('pillbox-expire.timer'))).to.deep.equal([]);
      expect(fake.mocks.ec2.commandCalls(ec2.CreateTagsCommand)).to.have.length(0);
      expect(result.expiresAt).to.equal('2026-11-21T18:00:00Z');
    });

    it('says to wait when the box is still booting (InvalidInstanceId: its SSM agent is not online), leaving the tag alone', async () => {
      await provision(aConfig({ noWait: true }), depsFor(fake, { runId: 'first000' }));
      // The operator's next command comes after EC2's describe lag, before the agent is up.
      fake.clock.advance(world.timing.describeLagMs);
      const err = await rejection(again({ ttlHours: 24 }));
      expect(err.message).to.equal(`The SSM agent of ${world.instances[0]!.id} is not online, so its expiry timer cannot move yet.`);
      expect(err.hint).to.match(/^Wait until `npm run status` shows its services, then run provision again/);
      expect(world.instances[0]!.tags).to.deep.include({ Key: 'ExpiresAt', Value: '2026-11-21T18:00:00Z' });
    });

    it('gives a replacement a fresh TTL of its own instead of moving the old box', async () => {
      await running();
      const t = world.clock.now();
      const result = await again({ ttlHours: 12, replace: true });
      const tags = fake.mocks.ec2.commandCalls(ec2.RunInstancesCommand)[0]!.args[0].input.TagSpecifications?.[0]?.Tags;
      expect(tags).to.deep.include({ Key: 'ExpiresAt', Value: isoSeconds(new Date(Math.floor(t / 1000) * 1000 + 12 * HOUR_MS)) });
      expect(result.changes, 'nothing compared: the old box goes').to.deep.equal([]);
      expect(world.sentScripts.flat().filter((l) => l.includes('pillbox-expire.timer'))).to.deep.equal([]);
    });
  });

  describe('allowed CIDR (in place)', () => {
    it('revokes the old HTTPS rule and authorizes the new range on the kept group, leaving HTTP open to everyone', async () => {
      await running();
      const result = await again({ allowedCidr: '198.51.100.0/24' });
      expect(fake.mocks.ec2.commandCalls(ec2.RevokeSecurityGroupIngressCommand)).to.have.length(1);
      expect(fake.mocks.ec2.commandCalls(ec2.AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions).to.deep.equal([
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'pillbox edge' }] },
      ]);
      expect(world.rules.map((r) => `${r.port} ${r.cidr}`)).to.deep.equal(['80 0.0.0.0/0', '443 198.51.100.0/24']);
      expect(world.instances[0]!.box.edgeRange, "the box's edge enforces the new range").to.equal('198.51.100.0/24');
      expect(result.steps.find((s) => s.resource === 'ingress')?.detail).to.equal('allowed CIDR 0.0.0.0/0 → 198.51.100.0/24, changes in place');
      expect(ec2Changes().filter((n) => !/^(Revoke|Authorize)/.test(n))).to.deep.equal([]);
      expect(result.allowedCidr).to.equal('198.51.100.0/24');
    });

    it("writes the range into the box's settings when the stack is down: the next start takes it", async () => {
      await running();
      world.instances[0]!.box.unitState = 'failed';
      const err = await rejection(again({ allowedCidr: '198.51.100.0/24' }));
      expect(err.message, 'the wait for the stack afterwards').to.equal('pillbox.service failed on the box.');
      expect(world.instances[0]!.box.settingsRange).to.equal('198.51.100.0/24');
      expect(world.instances[0]!.box.edgeRange, 'no running edge to reload').to.equal(undefined);
    });

    it('gives an old box whose group already matches (world-open) the range its settings lack, reloading its edge', async () => {
      await running();
      const old = world.instances[0]!;
      delete old.box.settingsRange;
      const result = await again({});
      expect(ec2Changes(), 'the group already matches').to.deep.equal([]);
      expect(result.steps.find((s) => s.resource === 'ingress')?.action).to.equal('keep');
      expect(old.box.settingsRange).to.equal('0.0.0.0/0');
      expect(old.box.edgeRange).to.equal('0.0.0.0/0');
      expect(result.steps.find((s) => s.resource === 'edge-range')).to.deep.include({ action: 'update', name: '0.0.0.0/0' });
    });

    it('leaves the settings as they were when the reload fails, says so with a hint that holds, and the re-run converges', async () => {
      await running();
      const old = world.instances[0]!;
      delete old.box.settingsRange;
      old.box.edgeReloadError = 'Error: loading new config: http app module: start: listening on :443: address already in use';
      const err = await rejection(again({}));
      expect(err.message).to.equal(`The edge on ${old.id} does not enforce 0.0.0.0/0 yet (Error: loading new config: http app module: start: listening on :443: address already in use); its settings were left as they were.`);
      expect(err.hint).to.equal('Run provision again once `npm run status` shows its services: it compares the range on the box and applies it then.');
      expect(old.box.settingsRange).to.equal(undefined);
      delete old.box.edgeReloadError;
      await provision(aConfig({}), depsFor(fake, { runId: 'third000' }));
      expect(old.box.settingsRange).to.equal('0.0.0.0/0');
      expect(old.box.edgeRange).to.equal('0.0.0.0/0');
    });

    it('asks the box and changes nothing when its settings already say the range', async () => {
      await running();
      const result = await again({});
      expect(world.instances[0]!.box.settingsRange, 'from the user-data it booted with').to.equal('0.0.0.0/0');
      expect(world.instances[0]!.box.edgeRange).to.equal(undefined);
      expect(world.sentScripts.flat().filter((l) => l.includes('PILLBOX_ALLOWED_CIDR='))).to.have.length(1);
      expect(result.steps.find((s) => s.resource === 'edge-range')?.action, 'counted as kept').to.equal('keep');
    });

    it('keeps the range the group has when none is asked for, even at a terminal (no address lookup)', async () => {
      await running({ allowedCidr: '198.51.100.0/24' });
      let looked = 0;
      const result = await provision(aConfig(), depsFor(fake, { runId: 'again000', interactive: true, lookupAddress: async () => (looked++, '203.0.113.9') }));
      expect(looked).to.equal(0);
      expect(result.allowedCidr).to.equal('198.51.100.0/24');
      expect(ec2Changes()).to.deep.equal([]);
    });
  });

  describe('nothing asked for', () => {
    it('keeps every setting the box has and prints those, not the defaults', async () => {
      await running({ instanceType: 't3.large', volumeGb: 40, ttlHours: 12 });
      const result = await again({});
      expect(ec2Changes()).to.deep.equal([]);
      expect(result.changes).to.deep.equal([]);
      expect(result).to.deep.include({ instanceType: 't3.large', volumeGb: 40, expiresAt: '2026-11-21T22:00:00Z', allowedCidr: '0.0.0.0/0' });
      expect(row(provisionRows(result), 'Instance')).to.equal(`${box.id} (t3.large, 40 GiB)`);
    });
  });
});
