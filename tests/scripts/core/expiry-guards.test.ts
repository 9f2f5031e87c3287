// The invariant between the two expiry guards: the off-box one fires only after the box's own
// timer, its last backup and the poweroff can have finished. Read from the rendered units (what
// systemd on the box gets) and driven through the fakes, where both guards fire in fake time.
import { readFileSync } from 'node:fs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { expirySchedule, schedulerRoleArn } from '../../../scripts/lib/aws/expiry-schedule.js';
import { ssmRunner } from '../../../scripts/lib/box/ssm-output.js';
import { CLOUD_INIT_DIR, fillPlaceholders, placeholders } from '../../../scripts/lib/box/user-data.js';
import { OFF_BOX_DELAY_MIN, POWEROFF_MARGIN_MIN } from '../../../scripts/lib/core/expiry-guards.js';
import { extendEnvironment } from '../../../scripts/lib/extend/run.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { rejection, settle, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from '../provision/fixtures.js';

const MINUTE = 60_000;
const expiresAt = new Date('2026-11-22T06:30:00Z');

/** A unit file as cloud-init writes it on the box. */
function rendered(name: string): string {
  const values = placeholders({ env: 'dev', region: 'eu-west-1', accountId: '123456789012', gitSha: 'a'.repeat(40), source: { key: 'k', sha256: 'b'.repeat(64) }, expiresAt, allowedCidr: '0.0.0.0/0' });
  return fillPlaceholders(readFileSync(`${CLOUD_INIT_DIR}${name}`, 'utf8'), values, name);
}

/** A systemd time span in minutes (`20min`). */
function minutes(unit: string, key: string): number {
  const value = new RegExp(`^${key}=(\\d+)min$`, 'm').exec(unit)?.[1];
  if (value === undefined) throw new Error(`${key} is not in whole minutes`);
  return Number(value);
}

/** The last backup's own limit: the `timeout` expire.service runs it under, in minutes. */
function backupLimit(unit: string): number {
  const value = /^ExecStartPre=-\/usr\/bin\/timeout --kill-after=(\d+)s (\d+)m \S+ expiry$/m.exec(unit);
  if (!value) throw new Error('the backup does not run under timeout');
  return Number(value[2]) + Math.ceil(Number(value[1]) / 60);
}

const scheduledAt = (expression: string | undefined): number => Date.parse(`${/^at\((.+)\)$/.exec(expression ?? '')?.[1]}Z`);

describe('the expiry guards', () => {
  it('fire off the box no sooner than the box’s timer slack, its last backup’s limit and the poweroff margin after ExpiresAt', () => {
    const onBox = minutes(rendered('expire.timer'), 'AccuracySec') + minutes(rendered('expire.service'), 'TimeoutStartSec') + POWEROFF_MARGIN_MIN;
    const schedule = expirySchedule({ env: 'dev', instanceId: 'i-0abc', expiresAt, roleArn: 'arn:aws:iam::123456789012:role/pillbox-dev-scheduler' });
    expect(scheduledAt(schedule.ScheduleExpression) - expiresAt.getTime()).to.be.at.least(onBox * MINUTE);
    expect(OFF_BOX_DELAY_MIN).to.equal(onBox);
  });

  it('bound the last backup inside the unit’s start timeout, and power off even if the unit fails', () => {
    const unit = rendered('expire.service');
    expect(backupLimit(unit), 'timeout and its kill grace end before systemd would fail the unit').to.be.at.most(minutes(unit, 'TimeoutStartSec'));
    expect(/^\[Unit\][^[]*^FailureAction=poweroff$/m.test(unit), 'FailureAction=poweroff in [Unit]').to.equal(true);
  });

  it('wait at expiry for another backup’s lock only a fraction of the last backup’s limit', () => {
    const wait = Number(/^\[ "\$reason" = expiry \] && wait=(\d+)$/m.exec(rendered('backup.sh'))?.[1]);
    expect(wait).to.be.above(0);
    expect(wait).to.be.at.most((backupLimit(rendered('expire.service')) * 60) / 3);
  });

  describe('through the fakes', () => {
    let world: World;
    let fake: FakeAws;
    useFakeAws((w, f) => ((world = w), (fake = f)));

    /** A box whose expiry service's backup runs this long (default: its whole allowance). */
    async function aBox(backupMin = backupLimit(rendered('expire.service')) - 1): Promise<World['instances'][number]> {
      world.box.expiryBackupMs = backupMin * MINUTE;
      await provision(aConfig({ ttlHours: 1 }), depsFor(fake));
      return world.instances[0]!;
    }

    it('powers the box off before the Scheduler one-shot fires even when the last backup outruns its limit', async () => {
      const box = await aBox(90);
      await settle(world, 2 * 3_600_000);
      expect(box.box.lastBackup, 'stopped by its own limit, not cut by a terminate').to.equal('timed-out');
      expect(box.state).to.equal('terminated');
    });

    it('powers the box off through FailureAction when the unit itself times out', async () => {
      const box = await aBox(90);
      box.box.expireUnit = box.box.expireUnit?.replace(/\/usr\/bin\/timeout \S+ \S+ /, '');
      await settle(world, 2 * 3_600_000);
      expect(box.box.lastBackup).to.equal('timed-out');
      expect(box.state).to.equal('terminated');
    });

    it('lets the box’s last backup finish before the Scheduler one-shot fires', async () => {
      const box = await aBox();
      await settle(world, 2 * 3_600_000);
      expect(box.box.lastBackup).to.equal('taken');
      expect(box.state).to.equal('terminated');
    });

    it('refuses `extend` while the box is already expiring, moving nothing', async () => {
      const box = await aBox(15);
      const expires = Date.parse(box.tags.find((t) => t.Key === 'ExpiresAt')!.Value!);
      await settle(world, expires + 5 * MINUTE - fake.clock.now());
      const instance = { id: box.id, env: 'dev', state: 'running', expiresAt: new Date(expires) };
      const run = ssmRunner(fake.clients.ssm as SSMClient, box.id, { clock: fake.clock });
      const roleArn = schedulerRoleArn({ env: 'dev', accountId: world.accountId });
      const schedule = world.schedules.get(`pillbox-dev-expiry-${box.id}`)?.ScheduleExpression;
      const err = await rejection(extendEnvironment({ ec2: fake.clients.ec2, scheduler: fake.clients.scheduler, schedulerRoleArn: roleArn, run, now: () => new Date(fake.clock.now()), clock: fake.clock }, instance as never, 2, 72));
      expect(err.message).to.equal(`${box.id} is expiring now (pillbox-expire.service is activating: its last backup, then poweroff), so its expiry cannot move.`);
      expect(world.schedules.get(`pillbox-dev-expiry-${box.id}`)?.ScheduleExpression).to.equal(schedule);
      expect(box.box.expiryTimer).to.equal(undefined);
      await settle(world, 30 * MINUTE);
      expect(box.box.lastBackup).to.equal('taken');
    });

    it('keeps that order after `extend` moves both guards', async () => {
      const box = await aBox();
      const instance = { id: box.id, env: 'dev', state: 'running', expiresAt: new Date(box.tags.find((t) => t.Key === 'ExpiresAt')!.Value!) };
      const run = ssmRunner(fake.clients.ssm as SSMClient, box.id, { clock: fake.clock });
      const roleArn = schedulerRoleArn({ env: 'dev', accountId: world.accountId });
      await extendEnvironment({ ec2: fake.clients.ec2, scheduler: fake.clients.scheduler, schedulerRoleArn: roleArn, run, now: () => new Date(fake.clock.now()), clock: fake.clock }, instance as never, 2, 72);
      await settle(world, 2 * 3_600_000);
      expect(box.state, 'still up: the guards moved 2 h later').to.equal('running');
      await settle(world, 2 * 3_600_000);
      expect(box.box.lastBackup).to.equal('taken');
      expect(box.state).to.equal('terminated');
    });
  });
});
