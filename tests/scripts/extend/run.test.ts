import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTagsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateScheduleCommand, GetScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { fakeClock } from '../fakes/fake-clock.js';
import type { EnvInstance } from '../../../scripts/lib/aws/environment.js';
import { ssmRunner } from '../../../scripts/lib/box/ssm-output.js';
import { toScript } from '../../../scripts/lib/box/ssm-run.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { moveTimerCommand } from '../../../scripts/lib/extend/plan.js';
import { extendEnvironment } from '../../../scripts/lib/extend/run.js';
import { fakeBox, useBoxMocks } from '../fakes/fake-box.js';

const anInstance = (expiresAt?: string): EnvInstance => ({
  id: 'i-0abc',
  env: 'main',
  state: 'running',
  instanceType: 't3.medium',
  expiresAt: expiresAt ? new Date(expiresAt) : undefined,
});

const ROLE_ARN = 'arn:aws:iam::123456789012:role/pillbox-main-scheduler';

describe('extend', () => {
  const mocks = useBoxMocks();
  let scheduler: AwsClientStub<SchedulerClient>;
  beforeEach(() => {
    scheduler = mockClient(SchedulerClient);
    scheduler.on(GetScheduleCommand).resolves({ Name: 'pillbox-main-expiry-i-0abc', Target: { Arn: 'arn:aws:scheduler:::aws-sdk:ec2:terminateInstances', RoleArn: ROLE_ARN } });
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/pillbox-main-expiry-i-0abc' });
  });
  afterEach(() => scheduler.restore());
  const deps = (now: string) => ({
    ec2: new EC2Client({ region: 'eu-west-1' }),
    scheduler: new SchedulerClient({ region: 'eu-west-1' }),
    schedulerRoleArn: ROLE_ARN,
    run: ssmRunner(new SSMClient({ region: 'eu-west-1' }), 'i-0abc', { clock: fakeClock() }),
    now: () => new Date(now),
    clock: fakeClock(),
  });

  it('rewrites the timer drop-in on the box, then moves the ExpiresAt tag, across midnight', async () => {
    const box = fakeBox(mocks.ssm, () => ({ stdout: 'Mon 2026-11-23 01:30:00 UTC\n' }));
    mocks.ec2.on(CreateTagsCommand).resolves({});
    const moved = await extendEnvironment(deps('2026-11-22T20:00:00Z'), anInstance('2026-11-22T22:30:00Z'), 3, 72);
    expect(moved.to.toISOString()).to.equal('2026-11-23T01:30:00.000Z');
    expect(moved.timerNext).to.equal('Mon 2026-11-23 01:30:00 UTC');
    expect(box.lines()).to.have.length(2);
    expect(box.lines()[0], 'first: is the box expiring already?').to.equal('systemctl show --property=ActiveState --value pillbox-expire.service');
    expect(box.lines()[1]).to.match(
      /' sh \/etc\/systemd\/system\/pillbox-expire\.timer\.d\/expires-at\.conf '\[Timer\]\nOnCalendar=\nOnCalendar=2026-11-23 01:30:00 UTC\n' pillbox-expire\.timer$/,
    );
    expect(mocks.ec2.commandCalls(CreateTagsCommand)[0]?.args[0].input).to.deep.equal({ Resources: ['i-0abc'], Tags: [{ Key: 'ExpiresAt', Value: '2026-11-23T01:30:00Z' }] });
    expect(moved.schedule).to.equal('moved');
  });

  it('moves the expiry schedule first, sending its whole definition with the new time plus the last backup’s allowance', async () => {
    fakeBox(mocks.ssm, () => ({ stdout: 'x' }));
    mocks.ec2.on(CreateTagsCommand).resolves({});
    await extendEnvironment(deps('2026-11-22T20:00:00Z'), anInstance('2026-11-22T22:30:00Z'), 3, 72);
    // UpdateSchedule replaces the whole schedule: the new time, with the instance and role kept.
    const update = scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input;
    expect(update).to.include({ Name: 'pillbox-main-expiry-i-0abc', ScheduleExpression: 'at(2026-11-23T01:56:00)', ScheduleExpressionTimezone: 'UTC', ActionAfterCompletion: 'DELETE' });
    expect(update?.FlexibleTimeWindow).to.deep.equal({ Mode: 'OFF' });
    expect(update?.Target).to.deep.equal({ Arn: 'arn:aws:scheduler:::aws-sdk:ec2:terminateInstances', RoleArn: ROLE_ARN, Input: '{"InstanceIds":["i-0abc"]}' });
  });

  it('leaves box and tag alone when the schedule cannot be moved (it would otherwise terminate the box early)', async () => {
    const box = fakeBox(mocks.ssm, () => ({}));
    scheduler.on(UpdateScheduleCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const caught = await extendEnvironment(deps('2026-11-22T12:00:00Z'), anInstance('2026-11-22T18:00:00Z'), 2, 72).catch((err: unknown) => err as Error);
    expect(caught).to.have.property('name', 'ThrottlingException');
    expect(box.lines(), 'only the read-only state check').to.deep.equal(['systemctl show --property=ActiveState --value pillbox-expire.service']);
    expect(mocks.ec2.commandCalls(CreateTagsCommand)).to.have.length(0);
  });

  it('re-arms the off-box guard when the environment has no schedule (its arming failed), and still moves the box', async () => {
    scheduler.on(UpdateScheduleCommand).rejects(Object.assign(new Error('Schedule pillbox-main-expiry-i-0abc does not exist.'), { name: 'ResourceNotFoundException' }));
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'x' });
    const box = fakeBox(mocks.ssm, () => ({ stdout: 'x' }));
    mocks.ec2.on(CreateTagsCommand).resolves({});
    const moved = await extendEnvironment(deps('2026-11-22T12:00:00Z'), anInstance('2026-11-22T18:00:00Z'), 2, 72);
    expect(moved.schedule).to.equal('armed');
    expect(box.lines()).to.have.length(2);
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input).to.include({ Name: 'pillbox-main-expiry-i-0abc', ScheduleExpression: 'at(2026-11-22T20:26:00)' });
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input.Target?.RoleArn).to.equal(ROLE_ARN);
  });

  it('touches neither box nor tag when the extension would pass the cap', async () => {
    const box = fakeBox(mocks.ssm, () => ({}));
    let caught: unknown;
    await extendEnvironment(deps('2026-11-22T12:00:00Z'), anInstance('2026-11-25T06:00:00Z'), 8, 72).catch((err: unknown) => (caught = err));
    expect(caught).to.be.instanceOf(OperatorError);
    expect((caught as OperatorError).hint).to.equal('Pass --hours 6 or less.');
    expect(box.lines()).to.deep.equal([]);
    expect(mocks.ec2.commandCalls(CreateTagsCommand)).to.have.length(0);
  });

  it('leaves the tag alone when the box could not move its timer', async () => {
    fakeBox(mocks.ssm, () => ({ exitCode: 1, stderr: 'Failed to restart pillbox-expire.timer: Unit not found.\n' }));
    let caught: unknown;
    await extendEnvironment(deps('2026-11-22T12:00:00Z'), anInstance('2026-11-22T18:00:00Z'), 2, 72).catch((err: unknown) => (caught = err));
    expect((caught as OperatorError).message).to.equal('Could not move the expiry timer on the box: Failed to restart pillbox-expire.timer: Unit not found.');
    expect(mocks.ec2.commandCalls(CreateTagsCommand)).to.have.length(0);
  });

  it('says a rerun fixes a tag write that failed after the box moved', async () => {
    fakeBox(mocks.ssm, () => ({ stdout: 'x' }));
    mocks.ec2.on(CreateTagsCommand).rejects(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded' }));
    let caught: unknown;
    await extendEnvironment(deps('2026-11-22T12:00:00Z'), anInstance('2026-11-22T18:00:00Z'), 2, 72).catch((err: unknown) => (caught = err));
    expect((caught as OperatorError).message).to.contain('now expires at 2026-11-22T20:00:00Z');
    expect((caught as OperatorError).hint).to.contain('Run the same command again');
  });

  it('says the exit status when the box could not move its timer and printed nothing, and how to check it', async () => {
    fakeBox(mocks.ssm, (line) => (line.startsWith('systemctl show') ? { stdout: 'inactive\n' } : { exitCode: 4, stderr: '' }));
    const err = (await extendEnvironment(deps('2026-11-22T12:00:00Z'), anInstance('2026-11-22T18:00:00Z'), 2, 72).catch((e: unknown) => e)) as OperatorError;
    expect(err.message).to.equal('Could not move the expiry timer on the box: exit 4');
    expect(err.hint).to.equal('Nothing changed; check the box with `npm run session` (`systemctl status pillbox-expire.timer`) and retry.');
  });

  it('moves nothing on a box that is expiring now (its last backup, then poweroff)', async () => {
    fakeBox(mocks.ssm, () => ({ stdout: 'active\n' }));
    const err = (await extendEnvironment(deps('2026-11-22T12:00:00Z'), anInstance('2026-11-22T18:00:00Z'), 2, 72).catch((e: unknown) => e)) as OperatorError;
    expect(err.message).to.equal('i-0abc is expiring now (pillbox-expire.service is active: its last backup, then poweroff), so its expiry cannot move.');
    expect(err.hint).to.equal('Let it finish: its last backup lands in the bucket, and `npm run provision -- --restore latest` brings the environment back from it.');
    expect(scheduler.commandCalls(UpdateScheduleCommand)).to.have.length(0);
    expect(mocks.ec2.commandCalls(CreateTagsCommand)).to.have.length(0);
  });

  it('gives the state read half a minute on the box and the timer move a minute', async () => {
    fakeBox(mocks.ssm, () => ({ stdout: 'Sun 2026-11-22 20:00:00 UTC\n' }));
    mocks.ec2.on(CreateTagsCommand).resolves({});
    await extendEnvironment(deps('2026-11-22T12:00:00Z'), anInstance('2026-11-22T18:00:00Z'), 2, 72);
    expect(mocks.ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input.Parameters?.executionTimeout?.[0])).to.deep.equal(['30', '60']);
  });

  it('refuses an instance without an ExpiresAt tag', async () => {
    let caught: unknown;
    await extendEnvironment(deps('2026-11-22T12:00:00Z'), anInstance(), 2, 72).catch((err: unknown) => (caught = err));
    expect((caught as OperatorError).message).to.contain('has no valid ExpiresAt tag');
  });

  it('writes the drop-in atomically and restarts the timer (real shell, systemctl stand-in)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pillbox-timer-'));
    try {
      const log = join(dir, 'systemctl.log');
      writeFileSync(join(dir, 'systemctl'), `#!/bin/sh\necho "$*" >> ${log}\n[ "$1" = show ] && echo "Mon 2026-11-23 01:30:00 UTC"\nexit 0\n`);
      chmodSync(join(dir, 'systemctl'), 0o755);
      const dropIn = join(dir, 'pillbox-expire.timer.d', 'expires-at.conf');
      const script = toScript([moveTimerCommand(new Date('2026-11-23T01:30:00Z'), dropIn)]).join('\n');
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile('sh', ['-c', script], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } }, (err, out) => (err ? reject(err) : resolve(out))),
      );
      expect(readFileSync(dropIn, 'utf8')).to.equal('[Timer]\nOnCalendar=\nOnCalendar=2026-11-23 01:30:00 UTC\n');
      expect(readFileSync(log, 'utf8')).to.equal('daemon-reload\nrestart pillbox-expire.timer\nshow pillbox-expire.timer --property=NextElapseUSecRealtime --value\n');
      expect(stdout.trim()).to.equal('Mon 2026-11-23 01:30:00 UTC');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  describe('beyond the preview cap of 72 h', () => {
    const instance: EnvInstance = { id: 'i-0abc', env: 'main', state: 'running', instanceType: 't3.medium', expiresAt: new Date('2026-11-22T18:00:00Z') };

    it('refuses a life beyond 72 h from now when nobody confirmed it, before touching anything', async () => {
      const box = fakeBox(mocks.ssm, () => ({ stdout: '' }));
      const err = (await extendEnvironment(deps('2026-11-22T12:00:00Z'), instance, 100, 8760).catch((e: unknown) => e)) as OperatorError;
      expect(err?.message).to.match(/^Environment "main" would live 106 hours, beyond the 72 h of a preview box: about \$36\.42 a month/);
      expect(err?.hint).to.equal('Pass --yes to keep it that long, or --hours 66 or less.');
      expect(box.lines()).to.deep.equal([]);
      expect(scheduler.commandCalls(UpdateScheduleCommand)).to.have.length(0);
    });

    it('asks nothing for a life of exactly 72 h from now', async () => {
      fakeBox(mocks.ssm, () => ({ stdout: 'Wed 2026-11-25 12:00:00 UTC\n' }));
      mocks.ec2.on(CreateTagsCommand).resolves({});
      const moved = await extendEnvironment(deps('2026-11-22T12:00:00Z'), { ...instance, rootVolumeId: 'vol-1' }, 66, 8760);
      expect(moved.to.toISOString()).to.equal('2026-11-25T12:00:00.000Z');
      expect(mocks.ec2.commandCalls(DescribeVolumesCommand), 'no cost to work out').to.have.length(0);
    });

    it('offers the hours still within 72 h, down to one, or else a later extend', async () => {
      fakeBox(mocks.ssm, () => ({ stdout: '' }));
      const hint = async (expiresAt: string) =>
        ((await extendEnvironment(deps('2026-11-22T12:00:00Z'), { ...instance, expiresAt: new Date(expiresAt) }, 5, 8760).catch((e: unknown) => e)) as OperatorError).hint;
      expect(await hint('2026-11-25T11:00:00Z')).to.equal('Pass --yes to keep it that long, or --hours 1 or less.');
      expect(await hint('2026-11-25T11:30:00Z')).to.equal('Pass --yes to keep it that long, or a later extend.');
    });

    it('asks with the monthly cost of the box, its own volume size included, and moves the expiry once confirmed', async () => {
      fakeBox(mocks.ssm, () => ({ stdout: 'Sun 2026-12-22 18:00:00 UTC\n' }));
      mocks.ec2.on(CreateTagsCommand).resolves({});
      mocks.ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: 'vol-1', Size: 100 }] });
      const questions: string[] = [];
      const moved = await extendEnvironment({ ...deps('2026-11-22T12:00:00Z'), longLived: { yes: false, interactive: true, ask: async (q: string) => (questions.push(q), true) } }, { ...instance, rootVolumeId: 'vol-1' }, 720, 8760);
      expect(moved.to.toISOString()).to.equal('2026-12-22T18:00:00.000Z');
      expect(questions).to.have.length(1);
      expect(questions[0]).to.match(/would live 726 hours, .* about \$42\.02 a month \(on-demand, t3\.medium, 100 GiB gp3/);
    });
  });
});
