import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { assertBoundaryExists, createInstanceProfile, createRole, deleteRole, putInstancePolicy } from '../../../scripts/lib/aws/iam.js';
import { trustPolicy } from '../../../scripts/lib/aws/instance-policy.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { aWorld, commandNames, fakeAws, type FakeAws, type FakeRole, type World } from '../fakes/fake-aws.js';

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });
const BOUNDARY = 'arn:aws:iam::123456789012:policy/pillbox-boundary';

describe('instance role', () => {
  let iam: AwsClientStub<IAMClient>;
  const client = () => new IAMClient({ region: 'eu-west-1' });
  beforeEach(() => (iam = mockClient(IAMClient)));
  afterEach(() => iam.restore());

  it('is created with the pillbox permissions boundary', async () => {
    iam.on(CreateRoleCommand).resolves({});
    await createRole(client(), 'dev', [], { accountId: '123456789012' });
    expect(iam.commandCalls(CreateRoleCommand)[0]?.args[0].input).to.include({ RoleName: 'pillbox-dev-instance', PermissionsBoundary: BOUNDARY });
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)).to.have.length(0);
  });

  it('gets the boundary put on it when it already exists without one (made by an older version)', async () => {
    iam.on(CreateRoleCommand).rejects(awsError('EntityAlreadyExistsException', 'Role with name pillbox-dev-instance already exists.'));
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'pillbox-dev-instance', Path: '/', AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trustPolicy())), Tags: [{ Key: 'Env', Value: 'dev' }] } as never });
    iam.on(PutRolePermissionsBoundaryCommand).resolves({});
    await createRole(client(), 'dev', [{ Key: 'Env', Value: 'dev' }], { accountId: '123456789012' });
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)[0]?.args[0].input).to.deep.equal({ RoleName: 'pillbox-dev-instance', PermissionsBoundary: BOUNDARY });
  });

  it('says how to create the boundary when the account has none (NoSuchEntityException)', async () => {
    iam.on(CreateRoleCommand).rejects(awsError('NoSuchEntityException', `Scope ARN: ${BOUNDARY} does not exist or is not attachable.`));
    const err = (await createRole(client(), 'dev', [], { accountId: '123456789012' }).catch((e: unknown) => e)) as OperatorError;
    expect(err).to.be.instanceOf(OperatorError);
    expect(err.message).to.equal(`The permissions boundary ${BOUNDARY} does not exist; every role pillbox creates must carry it.`);
    expect(err.hint).to.contain('from docs/permissions-boundary.json with the project bucket\'s name filled in');
    expect(err.hint).to.contain('aws iam create-policy --policy-name pillbox-boundary --policy-document file://permissions-boundary.json');
  });

  it('passes other failures through unchanged', async () => {
    iam.on(CreateRoleCommand).rejects(awsError('AccessDenied'));
    const err = await createRole(client(), 'dev', [], { accountId: '123456789012' }).catch((e: unknown) => e as Error);
    expect(err).to.have.property('name', 'AccessDenied');
  });
});

describe('instance role policy', () => {
  let iam: AwsClientStub<IAMClient>;
  beforeEach(() => {
    iam = mockClient(IAMClient);
    iam.on(PutRolePermissionsBoundaryCommand).resolves({});
    iam.on(PutRolePolicyCommand).resolves({});
  });
  afterEach(() => iam.restore());

  it('puts the boundary on the role before its policy, so a role kept from an older version converges', async () => {
    await putInstancePolicy(new IAMClient({ region: 'eu-west-1' }), { env: 'dev', region: 'eu-west-1', accountId: '123456789012' });
    const sent = iam.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
    expect(sent).to.deep.equal(['PutRolePermissionsBoundaryCommand', 'PutRolePolicyCommand']);
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)[0]?.args[0].input).to.deep.equal({ RoleName: 'pillbox-dev-instance', PermissionsBoundary: BOUNDARY });
  });
});

describe('an existing role of the same name (role names are unique in the account, whatever the path)', () => {
  const TAGS = [
    { Key: 'Project', Value: 'pillbox' },
    { Key: 'Env', Value: 'dev' },
  ];
  const TRUST = JSON.stringify(trustPolicy());
  let world: World;
  let fake: FakeAws;
  beforeEach(() => {
    world = aWorld();
    fake = fakeAws(world);
  });
  afterEach(() => fake.restore());
  const existing = (role: Partial<FakeRole>) => world.roles.set('pillbox-dev-instance', { path: '/', trust: TRUST, tags: TAGS, policies: new Map(), attached: [], ...role });
  const create = () => createRole(fake.clients.iam, 'dev', TAGS, { accountId: world.accountId });

  it('is kept and given the boundary when it is the one pillbox makes (a crashed or concurrent run)', async () => {
    existing({});
    await create();
    expect(world.roles.get('pillbox-dev-instance')?.boundary).to.equal(BOUNDARY);
  });

  const foreign: [string, Partial<FakeRole>, string][] = [
    ['at another path (a branch taking main\'s name under /pillbox-feat-x/)', { path: '/pillbox-feat-x/' }, 'is at the path /pillbox-feat-x/, not /'],
    ['trusting an outside account', { trust: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' }] }) }, 'has a trust policy other than the one pillbox writes'],
    ['tagged with another environment', { tags: [{ Key: 'Env', Value: 'main' }] }, 'is tagged Env=main, not dev'],
  ];
  for (const [what, role, why] of foreign) {
    it(`is refused, untouched, when it is ${what}`, async () => {
      existing(role);
      const err = (await create().catch((e: unknown) => e)) as OperatorError;
      expect(err).to.be.instanceOf(OperatorError);
      expect(err.message).to.equal(`The IAM role pillbox-dev-instance already exists and ${why}: it is not the role pillbox makes, so provision will not use it.`);
      expect(err.hint).to.contain('`npm run teardown -- --env dev` removes it');
      expect(world.roles.get('pillbox-dev-instance')?.boundary).to.equal(undefined);
      expect(commandNames(fake).filter((n) => /^(Put|Attach|Add)/.test(n))).to.deep.equal([]);
    });
  }
});

describe('the boundary check, the instance profile and a role removed', () => {
  let iam: AwsClientStub<IAMClient>;
  const client = () => new IAMClient({ region: 'eu-west-1' });
  beforeEach(() => (iam = mockClient(IAMClient)));
  afterEach(() => iam.restore());
  const profile = { name: 'pillbox-dev-instance', arn: 'arn:aws:iam::123456789012:instance-profile/pillbox-dev-instance', roles: ['pillbox-dev-instance'] };

  it('says the boundary is missing for NoSuchEntity only, and passes a refusal through as it is', async () => {
    iam.on(GetPolicyCommand).rejects(awsError('AccessDenied', 'not authorized to perform: iam:GetPolicy'));
    const denied = await assertBoundaryExists(client(), { accountId: '123456789012', partition: 'aws' }).then(() => undefined, (e: unknown) => e);
    expect(denied).to.not.be.instanceOf(OperatorError);
    expect((denied as Error).name).to.equal('AccessDenied');
    iam.on(GetPolicyCommand).rejects(awsError('NoSuchEntityException'));
    const missing = await assertBoundaryExists(client(), { accountId: '123456789012', partition: 'aws' }).then(() => undefined, (e: unknown) => e);
    expect(missing).to.be.instanceOf(OperatorError);
  });

  it('creates the profile and adds the role only when missing, and never hides a refusal', async () => {
    iam.on(CreateInstanceProfileCommand).resolves({});
    iam.on(AddRoleToInstanceProfileCommand).resolves({});
    await createInstanceProfile(client(), 'dev', [], profile);
    expect(iam.commandCalls(CreateInstanceProfileCommand).length + iam.commandCalls(AddRoleToInstanceProfileCommand).length).to.equal(0);
    await createInstanceProfile(client(), 'dev', [], { ...profile, roles: [] });
    expect(iam.commandCalls(CreateInstanceProfileCommand)).to.have.length(0);
    expect(iam.commandCalls(AddRoleToInstanceProfileCommand)).to.have.length(1);
    iam.on(CreateInstanceProfileCommand).rejects(awsError('AccessDenied'));
    const err = await createInstanceProfile(client(), 'dev', [], undefined).then(() => undefined, (e: unknown) => e);
    expect((err as Error).name).to.equal('AccessDenied');
  });

  it('detaches a managed policy someone attached before deleting the role', async () => {
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }] });
    iam.on(DetachRolePolicyCommand).resolves({});
    iam.on(DeleteRolePolicyCommand).resolves({});
    iam.on(DeleteRoleCommand).resolves({});
    await deleteRole(client(), { name: 'pillbox-dev-instance', arn: 'arn:aws:iam::123456789012:role/pillbox-dev-instance', inlinePolicies: ['pillbox-dev-instance'] });
    expect(iam.commandCalls(DetachRolePolicyCommand).map((c) => c.args[0].input)).to.deep.equal([{ RoleName: 'pillbox-dev-instance', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }]);
    expect(iam.commandCalls(DeleteRoleCommand)).to.have.length(1);
  });
});
