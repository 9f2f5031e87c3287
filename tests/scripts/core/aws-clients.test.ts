import { expect } from 'chai';
import { createAwsClients, resolveRegion } from '../../../scripts/lib/core/aws-clients.js';

describe('AWS clients', () => {
  it('back off adaptively on throttling, in every client', async () => {
    const clients = createAwsClients('eu-west-1');
    for (const client of [clients.ec2, clients.ssm, clients.iam, clients.sts]) {
      const strategy = (await client.config.retryStrategy()) as { mode?: string };
      expect(strategy.mode).to.equal('adaptive');
      expect(await client.config.maxAttempts()).to.equal(8);
    }
  });

  it('use --region over the SDK chain when given', async () => {
    expect(await resolveRegion(createAwsClients('ap-southeast-2'))).to.equal('ap-southeast-2');
  });
});
