import { CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, PutRolePermissionsBoundaryCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, ListSchedulesCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { armExpirySchedule, ensureSchedulerRole, expiryScheduleTime, removeExpirySchedules, schedulerRoleArn } from '../../../scripts/lib/aws/expiry-schedule.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { fakeClock } from '../fakes/fake-clock.js';

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });
const TAGS = [{ Key: 'Project', Value: 'pillbox' }];
const scope = { env: 'dev', region: 'eu-west-1', accountId: '123456789012', tags: TAGS };
const spec = { env: 'dev', instanceId: 'i-0abc', expiresAt: new Date('2026-11-22T06:30:00.400Z'), roleArn: schedulerRoleArn(scope) };

describe('expiry schedule', () => {
  let iam: AwsClientStub<IAMClient>;
  let scheduler: AwsClientStub<SchedulerClient>;
  const clients = () => ({ iam: new IAMClient({ region: 'eu-west-1' }), scheduler: new SchedulerClient({ region: 'eu-west-1' }) });
  beforeEach(() => {
    iam = mockClient(IAMClient);
    scheduler = mockClient(SchedulerClient);
    iam.on(CreateRoleCommand).resolves({});
    iam.on(PutRolePolicyCommand).resolves({});
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/pillbox-dev-expiry' });
  });
  afterEach(() => {
    iam.restore();
    scheduler.restore();
  });

  describe('arming', () => {
    it('creates a one-shot 26 min after ExpiresAt (UTC, whole seconds), once the box’s last backup can have finished, that terminates the instance through the universal target, then deletes itself', async () => {
      await armExpirySchedule(clients().scheduler, spec, fakeClock());
      expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input).to.deep.equal({
        Name: 'pillbox-dev-expiry-i-0abc',
        Description: 'pillbox dev: terminate i-0abc after its ExpiresAt, once its last backup can have finished',
        ScheduleExpression: 'at(2026-11-22T06:56:00)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: {
          Arn: 'arn:aws:scheduler:::aws-sdk:ec2:terminateInstances',
          RoleArn: 'arn:aws:iam::123456789012:role/pillbox-dev-scheduler',
          Input: '{"InstanceIds":["i-0abc"]}',
        },
      });
    });

    it('gives the schedule its own bounded role, assumable only by the scheduler for this account', async () => {
      await ensureSchedulerRole(clients().iam, scope);
      const role = iam.commandCalls(CreateRoleCommand)[0]!.args[0].input;
      expect(role).to.include({ RoleName: 'pillbox-dev-scheduler', PermissionsBoundary: 'arn:aws:iam::123456789012:policy/pillbox-boundary' });
      expect(role.Tags).to.deep.equal(TAGS);
      expect(JSON.parse(role.AssumeRolePolicyDocument!)).to.deep.equal({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnEquals: { 'aws:SourceArn': 'arn:aws:scheduler:eu-west-1:123456789012:schedule-group/default' } },
          },
        ],
      });
    });

    it('describes the role it creates, and only rewrites the boundary and policy of one that exists', async () => {
      await ensureSchedulerRole(clients().iam, scope);
      expect(iam.commandCalls(CreateRoleCommand)[0]?.args[0].input.Description).to.equal("pillbox dev expiry schedule: terminate the environment's instance");
      iam.resetHistory();
      iam.on(PutRolePermissionsBoundaryCommand).resolves({});
      await ensureSchedulerRole(clients().iam, scope, true);
      expect(iam.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name)).to.deep.equal(['PutRolePermissionsBoundaryCommand', 'PutRolePolicyCommand']);
      expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)[0]?.args[0].input).to.deep.equal({ RoleName: 'pillbox-dev-scheduler', PermissionsBoundary: 'arn:aws:iam::123456789012:policy/pillbox-boundary' });
    });

    it('fires two minutes from now for a box whose time has already passed (Scheduler refuses an at() in the past)', async () => {
      const clock = fakeClock(Date.parse('2026-11-23T00:00:00Z'));
      await armExpirySchedule(clients().scheduler, spec, clock);
      expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input.ScheduleExpression).to.equal('at(2026-11-23T00:02:00)');
    });

    it('fails at once on any other error, even one that mentions assuming', async () => {
      scheduler.on(CreateScheduleCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: iam:PassRole on the role to assume'));
      const err = await armExpirySchedule(clients().scheduler, spec, fakeClock()).catch((e: unknown) => e as Error);
      expect(err).to.have.property('name', 'AccessDeniedException');
      expect(scheduler.commandCalls(CreateScheduleCommand)).to.have.length(1);
    });

    it('lets that role terminate only instances tagged with its environment', async () => {
      await ensureSchedulerRole(clients().iam, scope);
      const put = iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input;
      expect(put).to.include({ RoleName: 'pillbox-dev-scheduler', PolicyName: 'pillbox-dev-scheduler' });
      expect(JSON.parse(put.PolicyDocument!)).to.deep.equal({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'TerminateOwnInstances',
            Effect: 'Allow',
            Action: 'ec2:TerminateInstances',
            Resource: 'arn:aws:ec2:eu-west-1:123456789012:instance/*',
            Condition: { StringEquals: { 'aws:ResourceTag/Env': 'dev', 'aws:ResourceTag/ManagedBy': 'pillbox' } },
          },
        ],
      });
    });

    it('replaces the instance\'s schedule when a rerun finds the same launch (ConflictException)', async () => {
      scheduler.on(CreateScheduleCommand).rejects(awsError('ConflictException', 'Schedule pillbox-dev-expiry-i-0abc already exists.'));
      scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'x' });
      await armExpirySchedule(clients().scheduler, spec, fakeClock());
      const update = scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input;
      expect(update).to.deep.equal(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input);
    });

    it('retries while the new role is not yet assumable by the scheduler, on the injected clock', async () => {
      const clock = fakeClock();
      scheduler
        .on(CreateScheduleCommand)
        .rejectsOnce(awsError('ValidationException', 'The execution role you provide must allow AWS EventBridge Scheduler to assume the role.'))
        .resolves({ ScheduleArn: 'x' });
      await armExpirySchedule(clients().scheduler, spec, clock);
      expect(scheduler.commandCalls(CreateScheduleCommand)).to.have.length(2);
      expect(clock.elapsed()).to.equal(5000);
    });

    it('gives up on the propagation error after its budget, saying a rerun finishes the job', async () => {
      scheduler.on(CreateScheduleCommand).rejects(awsError('ValidationException', 'The execution role you provide must allow AWS EventBridge Scheduler to assume the role.'));
      const clock = fakeClock();
      const err = (await armExpirySchedule(clients().scheduler, spec, clock, { propagationMs: 20_000 }).catch((e: unknown) => e)) as OperatorError;
      expect(err).to.be.instanceOf(OperatorError);
      expect(err.message).to.equal('EventBridge Scheduler still cannot assume arn:aws:iam::123456789012:role/pillbox-dev-scheduler after 20 s (IAM changes take a while to arrive).');
      expect(err.hint).to.equal('Run provision again (or `npm run extend`): either re-arms a missing schedule, keeping the box.');
      expect(clock.elapsed()).to.equal(20_000);
    });

    it('fails at once on any other validation error', async () => {
      scheduler.on(CreateScheduleCommand).rejects(awsError('ValidationException', 'The ScheduleExpression is in the past.'));
      const err = await armExpirySchedule(clients().scheduler, spec, fakeClock()).catch((e: unknown) => e as Error);
      expect(err).to.have.property('message', 'The ScheduleExpression is in the past.');
      expect(scheduler.commandCalls(CreateScheduleCommand)).to.have.length(1);
    });
  });

  describe('reading when it fires', () => {
    it('is the at() time of the instance\'s schedule, in UTC', async () => {
      scheduler.on(GetScheduleCommand, { Name: 'pillbox-dev-expiry-i-0abc' }).resolves({ ScheduleExpression: 'at(2026-11-22T06:56:00)' });
      expect((await expiryScheduleTime(clients().scheduler, 'dev', 'i-0abc'))?.toISOString()).to.equal('2026-11-22T06:56:00.000Z');
    });

    it('is undefined when the instance has no schedule, or one that is not a one-shot', async () => {
      scheduler.on(GetScheduleCommand).rejectsOnce(awsError('ResourceNotFoundException', 'Schedule pillbox-dev-expiry-i-0abc does not exist.')).resolves({ ScheduleExpression: 'rate(1 hour)' });
      expect(await expiryScheduleTime(clients().scheduler, 'dev', 'i-0abc')).to.equal(undefined);
      expect(await expiryScheduleTime(clients().scheduler, 'dev', 'i-0abc')).to.equal(undefined);
    });
  });

  describe('removing', () => {
    beforeEach(() => {
      iam.on(DeleteRolePolicyCommand).resolves({});
      iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
      iam.on(DeleteRoleCommand).resolves({});
    });

    const listed = (...names: string[]) => scheduler.on(ListSchedulesCommand).resolves({ Schedules: names.map((Name) => ({ Name })) });

    it('deletes every schedule of the environment (found by name prefix), then their role with its policy', async () => {
      listed('pillbox-dev-expiry-i-0old', 'pillbox-dev-expiry-i-0new');
      scheduler.on(DeleteScheduleCommand).resolves({});
      await removeExpirySchedules(clients(), 'dev');
      expect(scheduler.commandCalls(ListSchedulesCommand)[0]?.args[0].input).to.include({ NamePrefix: 'pillbox-dev-expiry-' });
      expect(scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input)).to.deep.equal([{ Name: 'pillbox-dev-expiry-i-0old' }, { Name: 'pillbox-dev-expiry-i-0new' }]);
      expect(iam.commandCalls(DeleteRolePolicyCommand)[0]?.args[0].input).to.deep.equal({ RoleName: 'pillbox-dev-scheduler', PolicyName: 'pillbox-dev-scheduler' });
      expect(iam.commandCalls(DeleteRoleCommand)[0]?.args[0].input).to.deep.equal({ RoleName: 'pillbox-dev-scheduler' });
    });

    it('takes a schedule that fired (and deleted itself) meanwhile as gone: ResourceNotFoundException', async () => {
      listed('pillbox-dev-expiry-i-0abc');
      scheduler.on(DeleteScheduleCommand).rejects(awsError('ResourceNotFoundException', 'Schedule pillbox-dev-expiry-i-0abc does not exist.'));
      await removeExpirySchedules(clients(), 'dev');
      expect(iam.commandCalls(DeleteRoleCommand)).to.have.length(1);
    });

    it('stops on any other failure, keeping the role the schedule still needs', async () => {
      listed('pillbox-dev-expiry-i-0abc');
      scheduler.on(DeleteScheduleCommand).rejects(awsError('AccessDeniedException'));
      const err = await removeExpirySchedules(clients(), 'dev').catch((e: unknown) => e as Error);
      expect(err).to.have.property('name', 'AccessDeniedException');
      expect(iam.commandCalls(DeleteRoleCommand)).to.have.length(0);
    });
  });
});
