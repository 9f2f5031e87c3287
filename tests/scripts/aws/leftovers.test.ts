// The sweep's search for leftovers, service by service: what counts as pillbox's, and what is asked.
// IAM's and Scheduler's lists cannot filter by tag, so the client-side checks are all that stand
// between a look-alike and its deletion.
import { ListInstanceProfileTagsCommand } from '@aws-sdk/client-iam';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetScheduleCommand, ListSchedulesCommand, ResourceNotFoundException } from '@aws-sdk/client-scheduler';
import { expect } from 'chai';
import { ensureSchedulerRole } from '../../../scripts/lib/aws/expiry-schedule.js';
import { findLeftovers, pillboxProfiles, pillboxRoles, pillboxSchedules, taggedParameters } from '../../../scripts/lib/aws/leftovers.js';
import { baseTags, envNames } from '../../../scripts/lib/core/names.js';
import { useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';

const EXPIRED = new Date('2026-11-20T00:00:00Z');
const tagsOf = (env: string) => baseTags({ env, expiresAt: EXPIRED, gitSha: 'abc' });
/** pillbox's tags for `env` with one of them changed. */
const withTag = (env: string, key: string, value: string) => tagsOf(env).map((t) => (t.Key === key ? { Key: key, Value: value } : t));

describe('leftovers: what the sweep counts as an environment’s', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  const addRole = (name: string, tags: ReturnType<typeof tagsOf>, policies = new Map<string, string>()) =>
    world.roles.set(name, { path: '/', trust: '{}', tags, policies, attached: [] });
  const addProfile = (name: string, tags: ReturnType<typeof tagsOf>) => world.profiles.set(name, { tags, roles: [], visibleAt: 0 });
  const addSchedule = (name: string, role: string, expression = 'at(2026-11-20T00:00:00)') =>
    world.schedules.set(name, {
      Name: name,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'DISABLED',
      Target: { Arn: 'arn:aws:scheduler:::aws-sdk:ec2:terminateInstances', RoleArn: `arn:aws:iam::${world.accountId}:role/${role}`, Input: '{}' },
    });

  it('counts a role or profile only when Project, ManagedBy and Env all say pillbox made it for that environment', async () => {
    // Each look-alike has pillbox's name and all tags right but one.
    const looks = { a: withTag('a', 'Project', 'other'), b: withTag('b', 'ManagedBy', 'terraform'), c: withTag('c', 'Env', 'z') };
    for (const [env, tags] of Object.entries(looks)) {
      addRole(`pillbox-${env}-instance`, tags);
      addProfile(`pillbox-${env}-instance`, tags);
    }
    addRole('pillbox-d-instance', tagsOf('d'));
    addProfile('pillbox-d-instance', tagsOf('d'));
    expect((await pillboxRoles(fake.clients.iam)).map((l) => l.name)).to.deep.equal(['pillbox-d-instance']);
    expect((await pillboxProfiles(fake.clients.iam)).map((l) => [l.kind, l.name, l.expiresAt?.toISOString()])).to.deep.equal([['instance-profile', 'pillbox-d-instance', EXPIRED.toISOString()]]);
    const all = await findLeftovers(fake.clients, world.region);
    expect(all.map((l) => `${l.kind} ${l.env}`)).to.deep.equal(['role d', 'instance-profile d']);
  });

  it('places the instance role in the region of its inline policy, and the scheduler role in that of its trust', async () => {
    const document = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: `arn:aws:ssm:eu-west-3:${world.accountId}:parameter/pillbox/d/*` }] });
    addRole('pillbox-d-instance', tagsOf('d'), new Map([[envNames('d').inlinePolicy, document]]));
    await ensureSchedulerRole(fake.clients.iam, { env: 'd', region: 'us-east-1', accountId: world.accountId, tags: tagsOf('d') });
    addRole('pillbox-e-instance', tagsOf('e'));
    const roles = await pillboxRoles(fake.clients.iam);
    expect(roles.map((l) => [l.kind, l.name, l.region])).to.deep.equal([
      ['role', 'pillbox-d-instance', 'eu-west-3'],
      ['scheduler-role', 'pillbox-d-scheduler', 'us-east-1'],
      ['role', 'pillbox-e-instance', undefined],
    ]);
  });

  it('keeps to environments that start with --prefix, not those that merely end with it', async () => {
    for (const env of ['dev-a', 'old-dev']) {
      world.params.set(`/pillbox/${env}/secrets/X`, { value: 'x', type: 'SecureString', tags: tagsOf(env) });
      addProfile(`pillbox-${env}-instance`, tagsOf(env));
    }
    // Not a name pillbox makes: skipped before its tags are asked for.
    addProfile('someone-else', tagsOf('dev-b'));
    expect((await taggedParameters(fake.clients.tagging, world.region, 'dev')).map((l) => l.env)).to.deep.equal(['dev-a']);
    expect((await pillboxProfiles(fake.clients.iam, 'dev')).map((l) => l.env)).to.deep.equal(['dev-a']);
    const asked = fake.mocks.iam.commandCalls(ListInstanceProfileTagsCommand).map((c) => c.args[0].input.InstanceProfileName);
    expect([...new Set(asked)]).to.deep.equal(['pillbox-dev-a-instance']);
  });

  it('asks the tagging API for SSM parameters carrying Project and ManagedBy only, 100 a page', async () => {
    world.params.set('/pillbox/a/secrets/X', { value: 'x', type: 'SecureString', tags: tagsOf('a') });
    await taggedParameters(fake.clients.tagging, world.region);
    const sent = fake.mocks.tagging.commandCalls(GetResourcesCommand).map((c) => ({ ...c.args[0].input, PaginationToken: undefined }));
    expect(sent).to.have.length.above(0);
    for (const input of sent) {
      expect(input).to.deep.equal({ TagFilters: [{ Key: 'Project', Values: ['pillbox'] }, { Key: 'ManagedBy', Values: ['pillbox'] }], ResourceTypeFilters: ['ssm:parameter'], ResourcesPerPage: 100, PaginationToken: undefined });
    }
  });

  it('counts a schedule by its name and role; --prefix dev- leaves dev’s own, which ListSchedules’ NamePrefix lets through', async () => {
    addSchedule('pillbox-dev-expiry-i-0abc', 'pillbox-dev-scheduler');
    addSchedule('pillbox-dev-a-expiry-i-0abd', 'pillbox-dev-a-scheduler');
    addSchedule('pillbox-dev-b-expiry-i-0abe', 'pillbox-dev-b-scheduler', 'rate(1 hour)');
    addSchedule('pillbox-dev-nightly', 'pillbox-dev-scheduler');
    addSchedule('pillbox-dev-c-expiry-i-0abf', 'someone-else');
    const found = await pillboxSchedules(fake.clients.scheduler, world.region, 'dev-');
    expect(found.map((l) => [l.env, l.name, l.expiresAt?.toISOString()])).to.deep.equal([
      ['dev-a', 'pillbox-dev-a-expiry-i-0abd', EXPIRED.toISOString()],
      ['dev-b', 'pillbox-dev-b-expiry-i-0abe', undefined],
    ]);
    expect([...new Set(fake.mocks.scheduler.commandCalls(ListSchedulesCommand).map((c) => c.args[0].input.NamePrefix))]).to.deep.equal(['pillbox-dev-']);
    // Names pillbox does not make are not fetched.
    const fetched = fake.mocks.scheduler.commandCalls(GetScheduleCommand).map((c) => c.args[0].input.Name);
    expect(fetched).not.to.include('pillbox-dev-nightly');
    expect(fetched).not.to.include('pillbox-dev-expiry-i-0abc');
  });

  it('skips a schedule that fired (and deleted itself) between the list and the read', async () => {
    addSchedule('pillbox-dev-expiry-i-0abc', 'pillbox-dev-scheduler');
    addSchedule('pillbox-dev-expiry-i-0abd', 'pillbox-dev-scheduler');
    const message = 'Schedule pillbox-dev-expiry-i-0abc does not exist.';
    fake.mocks.scheduler.on(GetScheduleCommand, { Name: 'pillbox-dev-expiry-i-0abc' }).rejects(new ResourceNotFoundException({ message, Message: message, $metadata: {} }));
    const found = await pillboxSchedules(fake.clients.scheduler, world.region);
    expect(found.map((l) => l.name)).to.deep.equal(['pillbox-dev-expiry-i-0abd']);
  });
});
