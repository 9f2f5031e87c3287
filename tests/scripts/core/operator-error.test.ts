import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { explainAwsError, formatError, OperatorError, runCli } from '../../../scripts/lib/core/operator-error.js';
import { awsError } from '../fakes/fake-aws.js';

async function run(main: () => Promise<void>, argv: string[] = []): Promise<{ out: string; code?: number }> {
  const stderr = new PassThrough();
  let out = '';
  stderr.on('data', (c: Buffer) => (out += c.toString()));
  let code: number | undefined;
  await runCli(main, { argv, stderr, exit: (c) => void (code = c) });
  return { out, code };
}

describe('operator errors', () => {
  it('prints cause and fix and exits 1, without a stack', async () => {
    const { out, code } = await run(async () => {
      throw new OperatorError('The commit 3f2a1c0 is not on origin.', 'git push, or pass --ref with a pushed commit.');
    });
    expect(out).to.equal('✖ The commit 3f2a1c0 is not on origin.\n  → git push, or pass --ref with a pushed commit.\n');
    expect(code).to.equal(1);
  });

  it('adds the stack trace with --debug', async () => {
    const { out } = await run(async () => {
      throw new OperatorError('cause', 'fix');
    }, ['--debug']);
    expect(out).to.match(/^✖ cause\n {2}→ fix\n\nOperatorError: cause\n {4}at /);
  });

  it('exits 0 silently when main succeeds', async () => {
    expect(await run(async () => undefined)).to.deep.equal({ out: '', code: undefined });
  });

  const known: [string, Error, RegExp][] = [
    ['missing credentials', awsError('CredentialsProviderError', 'Could not load credentials from any providers'), /^No AWS credentials found\./],
    ['an expired token', awsError('ExpiredToken'), /session token has expired/],
    ['a missing region', awsError('Error', 'Region is missing'), /^No AWS region configured\./],
    ['an unknown region endpoint', Object.assign(new Error('getaddrinfo ENOTFOUND ec2.xx-nowhere-1.amazonaws.com'), { code: 'ENOTFOUND' }), /Cannot reach the AWS endpoint/],
    // Node names the error "Error" and puts ENOTFOUND in `code`; the message need not say getaddrinfo.
    ['a DNS failure told only by its code', Object.assign(new Error('request to https://ssm.xx-nowhere-1.amazonaws.com/ failed'), { code: 'ENOTFOUND' }), /Cannot reach the AWS endpoint/],
    ['a DNS lookup that timed out', Object.assign(new Error('connect failed'), { code: 'EAI_AGAIN' }), /Cannot reach the AWS endpoint/],
    ['an endpoint that refuses connections', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), /^Cannot reach the AWS endpoint \(connect ECONNREFUSED/],
    ['access denied', awsError('AccessDenied', 'User is not authorized to perform: iam:CreateRole'), /^AWS denied the request: User is not authorized/],
    ['UnauthorizedOperation', awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'), /^AWS denied the request/],
    ['throttling that outlasted the retries', awsError('ThrottlingException', 'Rate exceeded'), /kept throttling requests \(ThrottlingException\) after 1 attempts/],
    ['no capacity', awsError('InsufficientInstanceCapacity'), /no capacity for this instance type/],
    ['a quota', awsError('VcpuLimitExceeded'), /quota is reached/],
  ];
  for (const [what, err, message] of known) {
    it(`explains ${what} with a fix`, () => {
      const explained = explainAwsError(err);
      expect(explained?.message).to.match(message);
      expect(explained?.hint).to.be.a('string').and.not.equal('');
    });
  }

  it('does not call every error mentioning a region a missing region', () => {
    expect(explainAwsError(awsError('InvalidParameterValue', 'Region eu-west-9 is not valid for this request'))).to.equal(undefined);
  });

  it('explains a 403 without a body (an S3 HEAD: the SDK names it Unknown) instead of "Unknown: UnknownError"', () => {
    const head403 = Object.assign(new Error('UnknownError'), { name: 'Unknown', $metadata: { httpStatusCode: 403 } });
    const explained = explainAwsError(head403);
    expect(explained?.message).to.equal('AWS answered 403 Forbidden with no reason (a HEAD request, such as S3 HeadBucket or HeadObject, has no body to carry one).');
    expect(explained?.hint).to.match(/^Usually a missing permission \(docs\/aws-setup\.md "Attach the permission policy"\)/);
    expect(explainAwsError(Object.assign(new Error('UnknownError'), { name: 'Unknown', $metadata: { httpStatusCode: 500 } })), 'only the 403').to.equal(undefined);
  });

  it('marks unknown errors as unexpected and points at --debug', () => {
    expect(formatError(new TypeError('x is undefined'), false)).to.equal('✖ TypeError: x is undefined\n  → This is unexpected; run again with --debug for the stack trace and report it.\n');
  });
});
