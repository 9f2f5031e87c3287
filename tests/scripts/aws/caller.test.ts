import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { callerAccount } from '../../../scripts/lib/aws/caller.js';

describe('callerAccount', () => {
  // Made per test: other files mock STSClient too and restore it when they finish.
  let sts: AwsClientStub<STSClient>;
  beforeEach(() => (sts = mockClient(STSClient)));
  afterEach(() => sts.restore());
  const client = () => new STSClient({ region: 'cn-north-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });

  it('takes the account, the ARN and the partition the ARN names (aws-cn here)', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws-cn:iam::123456789012:user/ana' });
    expect(await callerAccount(client())).to.deep.equal({ accountId: '123456789012', arn: 'arn:aws-cn:iam::123456789012:user/ana', partition: 'aws-cn' });
  });

  it('leaves the partition out, for the ARN builders\' default, when STS names no ARN', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012' });
    expect(await callerAccount(client())).to.deep.equal({ accountId: '123456789012', arn: '' });
  });

  it('answers empty strings, never undefined, when STS names neither', async () => {
    sts.on(GetCallerIdentityCommand).resolves({});
    expect(await callerAccount(client())).to.deep.equal({ accountId: '', arn: '' });
  });
});
