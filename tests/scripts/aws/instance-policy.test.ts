import { runSimulation } from '@cloud-copilot/iam-simulate';
import { expect } from 'chai';
import { bucketPolicy } from '../../../scripts/lib/aws/bucket.js';
import { bucketStatements, instancePolicy, SSM_AGENT_ACTIONS } from '../../../scripts/lib/aws/instance-policy.js';

const ACCOUNT = '123456789012';
const BUCKET = `pillbox-${ACCOUNT}-eu-west-1`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/pillbox-dev-instance`;

/** What IAM decides for the dev box's role (and the bucket policy), per the policy simulator. */
async function decide(action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<string> {
  const result = await runSimulation(
    {
      request: { principal: ROLE, action, resource: { resource, accountId: ACCOUNT }, contextVariables: { 'aws:SecureTransport': 'true', ...context } },
      identityPolicies: [{ name: 'instance', policy: instancePolicy({ env: 'dev', region: 'eu-west-1', accountId: ACCOUNT }) }],
      resourcePolicy: bucketPolicy(BUCKET),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  if (result.resultType === 'single') expect(result.result.ignoredContextKeys ?? [], `${action}: context keys the simulator ignored`).to.deep.equal([]);
  return result.overallResult;
}

const object = (key: string) => `arn:aws:s3:::${BUCKET}/${key}`;
const bucket = `arn:aws:s3:::${BUCKET}`;

describe('instance policy', () => {
  // Built in each test, not once at load, so every test reads the policy as the code now makes it.
  let doc: ReturnType<typeof instancePolicy>;
  beforeEach(() => (doc = instancePolicy({ env: 'dev', region: 'eu-west-1', accountId: ACCOUNT })));

  it('grants the SSM agent its channels and nothing that reads parameters account-wide', () => {
    const agent = doc.Statement.find((s) => s.Sid === 'SsmAgent');
    expect(agent?.Resource).to.equal('*');
    expect(agent?.Action).to.deep.equal(SSM_AGENT_ACTIONS);
    expect(SSM_AGENT_ACTIONS.some((a) => a.startsWith('ssm:GetParameter') || a.includes('*'))).to.equal(false);
  });

  it('names each statement for what it grants', () => {
    expect(doc.Statement.map((s) => s.Sid)).to.deep.equal(['SsmAgent', 'OwnParameters', 'ReadOwnSource', 'ReadOwnBackups', 'WriteOwnBackups', 'ListOwnPrefix']);
  });

  it('reads parameters under its own environment path only, and adds only its bucket statements', () => {
    const own = doc.Statement.find((s) => s.Sid === 'OwnParameters');
    expect(own?.Resource).to.deep.equal(['arn:aws:ssm:eu-west-1:123456789012:parameter/pillbox/dev', 'arn:aws:ssm:eu-west-1:123456789012:parameter/pillbox/dev/*']);
    expect(doc.Statement.slice(2)).to.deep.equal(bucketStatements({ env: 'dev', region: 'eu-west-1', accountId: ACCOUNT }));
    expect(JSON.stringify(doc)).not.to.match(/kms:|iam:/);
  });

  describe('in the project bucket (evaluated by the IAM policy simulator)', () => {
    it('names each S3 action it allows, never a wildcard', () => {
      const actions = bucketStatements({ env: 'dev', region: 'eu-west-1', accountId: ACCOUNT }).flatMap((s) => [s.Action].flat());
      expect([...new Set(actions)].sort()).to.deep.equal(['s3:GetObject', 's3:ListBucket', 's3:PutObject', 's3:PutObjectTagging']);
    });

    it('reads its own source archives and backups', async () => {
      expect(await decide('s3:GetObject', object(`envs/dev/source/${'a'.repeat(40)}.tar.gz`))).to.equal('Allowed');
      expect(await decide('s3:GetObject', object('envs/dev/backups/20261121T030000Z.dump'))).to.equal('Allowed');
    });

    it("never reads another environment's objects, even one whose name starts the same", async () => {
      expect(await decide('s3:GetObject', object('envs/prod/backups/20261121T030000Z.dump'))).to.equal('ImplicitlyDenied');
      expect(await decide('s3:GetObject', object('envs/dev2/source/x.tar.gz'))).to.equal('ImplicitlyDenied');
    });

    it('writes backups only into its own backups prefix, and only with the backup kind tag', async () => {
      const tagged = { 's3:RequestObjectTag/pillbox-kind': 'backup' };
      expect(await decide('s3:PutObject', object('envs/dev/backups/20261121T030000Z.dump'), tagged)).to.equal('Allowed');
      expect(await decide('s3:PutObjectTagging', object('envs/dev/backups/20261121T030000Z.dump'), tagged)).to.equal('Allowed');
      expect(await decide('s3:PutObject', object('envs/dev/backups/20261121T030000Z.dump'))).to.equal('ImplicitlyDenied');
      expect(await decide('s3:PutObject', object('envs/dev/backups/x.dump'), { 's3:RequestObjectTag/pillbox-kind': 'source' })).to.equal('ImplicitlyDenied');
      expect(await decide('s3:PutObject', object('envs/dev/source/x.tar.gz'), tagged)).to.equal('ImplicitlyDenied');
    });

    it('never deletes, and lists only inside its own prefix', async () => {
      expect(await decide('s3:DeleteObject', object('envs/dev/backups/20261121T030000Z.dump'))).to.equal('ImplicitlyDenied');
      expect(await decide('s3:ListBucket', bucket, { 's3:prefix': 'envs/dev/backups/' })).to.equal('Allowed');
      expect(await decide('s3:ListBucket', bucket, { 's3:prefix': 'envs/dev2/' })).to.equal('ImplicitlyDenied');
      expect(await decide('s3:ListBucket', bucket)).to.equal('ImplicitlyDenied');
    });

    it('is refused by the bucket policy over plain HTTP, even where the role allows', async () => {
      expect(await decide('s3:GetObject', object('envs/dev/source/x.tar.gz'), { 'aws:SecureTransport': 'false' })).to.equal('ExplicitlyDenied');
    });
  });

  it('may do nothing in EC2: the box never changes its own CPU credits (they stay unlimited)', () => {
    expect(doc.Statement.filter((s) => JSON.stringify(s.Action).includes('ec2:'))).to.deep.equal([]);
    expect(doc.Statement).to.have.length(2 + bucketStatements({ env: 'dev', region: 'eu-west-1', accountId: ACCOUNT }).length);
  });
});
