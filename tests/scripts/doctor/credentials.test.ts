import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { checkCredentials, checkRegion } from '../../../scripts/lib/doctor/credentials.js';
import { awsError } from './fake-account.js';

const fromChain = (region: string | undefined) => async () => region;
const refusedBySdk = (message: string) => async (): Promise<string> => {
  throw new Error(message);
};

describe('doctor: region and credentials', () => {
  describe('region', () => {
    it('passes the region the SDK resolved', async () => {
      expect(await checkRegion(fromChain('eu-west-1'))).to.deep.equal({ result: { name: 'region', status: 'ok', detail: 'eu-west-1' }, region: 'eu-west-1' });
    });

    it('fails a missing region, naming the three places to set one', async () => {
      for (const resolve of [refusedBySdk('Region is missing'), fromChain(undefined)]) {
        const { result, region } = await checkRegion(resolve);
        expect(region).to.equal(undefined);
        expect(result).to.deep.equal({
          name: 'region',
          status: 'fail',
          detail: 'No AWS region configured',
          fix: 'Set AWS_REGION (e.g. AWS_REGION=eu-west-1), a region in your AWS profile, or pass --region.',
        });
      }
    });

    it('tells a region the SDK could not resolve apart from a missing one', async () => {
      const { result, region } = await checkRegion(refusedBySdk('Region not accepted: region="eu west 1" is not a valid hostname component.'));
      expect(region).to.equal(undefined);
      expect(result.status).to.equal('fail');
      expect(result.detail).to.equal('The AWS region could not be resolved: Region not accepted: region="eu west 1" is not a valid hostname component.');
      expect(result.fix).to.contain('fix the region in your AWS profile');
    });

    it('fails a value that is not a region name (a typo in AWS_REGION)', async () => {
      const { result, region } = await checkRegion(fromChain('eu-west'));
      expect(region).to.equal(undefined);
      expect(result.detail).to.equal('"eu-west" is not an AWS region name');
    });
  });

  describe('credentials', () => {
    // Made when the suite runs, not when the file loads: restoring another test's mock of an
    // STSClient instance removes a class-level mock made before it (aws-sdk-client-mock).
    let sts: AwsClientStub<STSClient>;
    before(() => (sts = mockClient(STSClient)));
    afterEach(() => sts.reset());
    after(() => sts.restore());
    const check = () => checkCredentials(new STSClient({ region: 'eu-west-1' }));

    it('names the account and the caller, and hands the identity on', async () => {
      sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:sts::123456789012:assumed-role/operator/ana', UserId: 'AROAEXAMPLE:ana' });
      const { result, identity } = await check();
      expect(result.detail).to.equal('account 123456789012 as arn:aws:sts::123456789012:assumed-role/operator/ana');
      expect(identity).to.deep.equal({ account: '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/operator/ana', userId: 'AROAEXAMPLE:ana' });
    });

    it('fails with no credentials anywhere in the chain', async () => {
      sts.on(GetCallerIdentityCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));
      const { result, identity } = await check();
      expect(identity).to.equal(undefined);
      expect(result.detail).to.equal('No AWS credentials found');
      expect(result.fix).to.contain('AWS_PROFILE');
    });

    it('fails an expired session token', async () => {
      sts.on(GetCallerIdentityCommand).rejects(awsError('ExpiredToken', 'The security token included in the request is expired'));
      const { result } = await check();
      expect(result.detail).to.equal('The AWS session token has expired');
      expect(result.fix).to.contain('aws sso login');
    });

    it('fails an expired SSO session with `aws sso login`, not as missing credentials', async () => {
      const message = "Value not present for 'clientId' in SSO Token. Cannot refresh. To refresh this SSO session run 'aws sso login' with the corresponding profile.";
      sts.on(GetCallerIdentityCommand).rejects(awsError('CredentialsProviderError', message));
      const { result } = await check();
      expect(result.detail).to.equal('The AWS SSO session has expired');
      expect(result.fix).to.contain('aws sso login');
    });

    it('fails a region with no endpoint (well formed, but no such region)', async () => {
      sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('getaddrinfo ENOTFOUND sts.eu-westx-1.amazonaws.com'), { code: 'ENOTFOUND' }));
      const { result } = await check();
      expect(result.detail).to.equal('Cannot reach the AWS endpoint (getaddrinfo ENOTFOUND sts.eu-westx-1.amazonaws.com)');
      expect(result.fix).to.contain('Check the region name');
    });

    it('fails keys AWS does not recognise', async () => {
      sts.on(GetCallerIdentityCommand).rejects(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.'));
      expect((await check()).result.detail).to.equal('AWS rejected the credentials (InvalidClientTokenId)');
    });
  });
});
