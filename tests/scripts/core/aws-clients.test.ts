import { expect } from 'chai';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clientConfig, createAwsClients, resolveRegion } from '../../../scripts/lib/core/aws-clients.js';
import { rejection } from '../fakes/fake-aws.js';

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * An HTTP layer under the real SDK client, so its middleware (signing, retries, the
 * adaptive rate limiter, deserialising) runs as in production. It answers with `answers`
 * in order and counts the requests.
 */
function throttledHttp(answers: Answer[]) {
  let requests = 0;
  return {
    requests: () => requests,
    handler: {
      handle: async () => {
        const answer = answers[Math.min(requests, answers.length - 1)]!;
        requests += 1;
        return { response: { ...answer, body: Buffer.from(answer.body) } };
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
      destroy: () => undefined,
    },
  };
}

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
// EC2 speaks the EC2 query protocol: XML, throttling as RequestLimitExceeded with a 503.
const EC2_THROTTLED: Answer = {
  statusCode: 503,
  headers: { 'content-type': 'text/xml' },
  body: '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r-1</RequestID></Response>',
};
const EC2_VPCS: Answer = {
  statusCode: 200,
  headers: { 'content-type': 'text/xml' },
  body: '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-2</requestId><vpcSet><item><vpcId>vpc-default1</vpcId><isDefault>true</isDefault></item></vpcSet></DescribeVpcsResponse>',
};
// SSM speaks JSON: throttling as ThrottlingException with a 400.
const SSM_THROTTLED: Answer = { statusCode: 400, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException' }, body: '{"__type":"ThrottlingException","message":"Rate exceeded"}' };
const SSM_PARAMETER: Answer = { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{"Parameter":{"Name":"/x","Value":"ami-0al2023"}}' };

describe('AWS clients', () => {
  it('are made with adaptive retries, 8 attempts, in every client', async () => {
    const clients = createAwsClients('eu-west-1');
    for (const client of [clients.ec2, clients.ssm, clients.iam, clients.sts]) {
      const strategy = (await client.config.retryStrategy()) as { mode?: string };
      expect(strategy.mode).to.equal('adaptive');
      expect(await client.config.maxAttempts()).to.equal(8);
    }
  });

  it('retry a throttled EC2 call (RequestLimitExceeded) until it succeeds', async function () {
    this.timeout(30_000);
    const http = throttledHttp([EC2_THROTTLED, EC2_THROTTLED, EC2_VPCS]);
    const ec2 = new EC2Client({ ...clientConfig('eu-west-1'), credentials, requestHandler: http.handler });
    const out = await ec2.send(new DescribeVpcsCommand({}));
    expect(out.Vpcs?.[0]?.VpcId).to.equal('vpc-default1');
    expect(http.requests()).to.equal(3);
    expect(out.$metadata.attempts).to.equal(3);
  });

  it('retry a throttled SSM call (ThrottlingException) until it succeeds', async function () {
    this.timeout(30_000);
    const http = throttledHttp([SSM_THROTTLED, SSM_PARAMETER]);
    const ssm = new SSMClient({ ...clientConfig('eu-west-1'), credentials, requestHandler: http.handler });
    const out = await ssm.send(new GetParameterCommand({ Name: '/x' }));
    expect(out.Parameter?.Value).to.equal('ami-0al2023');
    expect(out.$metadata.attempts).to.equal(2);
  });

  it('pass on an error that is not throttling at once, without retrying it', async () => {
    const denied: Answer = { ...EC2_THROTTLED, statusCode: 403, body: EC2_THROTTLED.body.replace(/RequestLimitExceeded/, 'UnauthorizedOperation').replace('Request limit exceeded.', 'You are not authorized.') };
    const http = throttledHttp([denied]);
    const ec2 = new EC2Client({ ...clientConfig('eu-west-1'), credentials, requestHandler: http.handler });
    const err = await rejection(ec2.send(new DescribeVpcsCommand({})));
    expect(err.name).to.equal('UnauthorizedOperation');
    expect(http.requests()).to.equal(1);
  });

  it('use --region over the SDK chain when given', async () => {
    expect(await resolveRegion(createAwsClients('ap-southeast-2'))).to.equal('ap-southeast-2');
  });

  describe('the region', () => {
    const clientsWhoseRegion = (region: () => Promise<string>) => ({ ec2: { config: { region } } as unknown as EC2Client });

    it('reads "No AWS region configured" only when no source has one', async () => {
      const err = await rejection(resolveRegion(clientsWhoseRegion(async () => Promise.reject(new Error('Region is missing')))));
      expect(err.message).to.equal('No AWS region configured.');
    });

    it('passes on any other failure to read it with the SDK’s words, not as a missing region', async () => {
      const err = await rejection(resolveRegion(clientsWhoseRegion(async () => Promise.reject(new Error('Profile sso-dev could not be found in /home/alice/.aws/config')))));
      expect(err.message).to.equal('Could not read the AWS region: Profile sso-dev could not be found in /home/alice/.aws/config');
      expect(err.hint).to.include('AWS_PROFILE');
    });
  });
});
