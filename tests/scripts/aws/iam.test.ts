import { CreateRoleCommand, IAMClient, PutRolePermissionsBoundaryCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { createRole, putInstancePolicy } from '../../../scripts/lib/aws/iam.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';

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
    iam.on(PutRolePermissionsBoundaryCommand).resolves({});
    await createRole(client(), 'dev', [], { accountId: '123456789012' });
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)[0]?.args[0].input).to.deep.equal({ RoleName: 'pillbox-dev-instance', PermissionsBoundary: BOUNDARY });
  });

  it('says how to create the boundary when the account has none (NoSuchEntityException)', async () => {
    iam.on(CreateRoleCommand).rejects(awsError('NoSuchEntityException', `Scope ARN: ${BOUNDARY} does not exist or is not attachable.`));
    const err = (await createRole(client(), 'dev', [], { accountId: '123456789012' }).catch((e: unknown) => e)) as OperatorError;
    expect(err).to.be.instanceOf(OperatorError);
    expect(err.message).to.equal(`The permissions boundary ${BOUNDARY} does not exist; every role pillbox creates must carry it.`);
    expect(err.hint).to.contain('aws iam create-policy --policy-name pillbox-boundary --policy-document file://docs/permissions-boundary.json');
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
