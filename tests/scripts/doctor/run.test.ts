import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { Probe } from '../../../scripts/lib/box/session-manager.js';
import { fail, ok, skipped, warn } from '../../../scripts/lib/doctor/check.js';
import { bucketName } from '../../../scripts/lib/aws/bucket-keys.js';
import { withAccountValues } from '../../../scripts/lib/aws/cli-policy.js';
import { EBS_KEY_FIX } from '../../../scripts/lib/doctor/account-guardrails.js';
import { parsePolicyDocument } from '../../../scripts/lib/doctor/policy-scopes.js';
import { doctorFailed, doctorJson, renderReport } from '../../../scripts/lib/doctor/report.js';
import { runDoctor, type DoctorDeps } from '../../../scripts/lib/doctor/run.js';
import { anAccount, awsError, fakeClients, type Account } from './fake-account.js';

const policyText = readFileSync(new URL('../../../docs/operator-policy.json', import.meta.url), 'utf8');
const policy = parsePolicyDocument(policyText, 'docs/operator-policy.json');

const TOOLS: Record<string, string> = {
  git: 'git version 2.39.5',
  aws: 'aws-cli/2.17.20 Python/3.11.9 Linux/6.1.0',
  'session-manager-plugin': '1.2.650.0',
};
const probeOf =
  (tools: Record<string, string>): Probe =>
  async (command) =>
    tools[command] === undefined ? { found: false, output: '' } : { found: true, output: tools[command] };

describe('doctor: the whole run', () => {
  let fake: ReturnType<typeof fakeClients>;
  afterEach(() => fake.restore());

  function doctor(account: Account, overrides: Partial<DoctorDeps> = {}, instanceType = 't3.medium') {
    fake = fakeClients(account);
    const deps: DoctorDeps = {
      probe: probeOf(TOOLS),
      nodeVersion: '24.22.3',
      pinnedNode: '24.22.3\n',
      region: async () => account.region,
      ...fake.clients,
      policy,
      ...overrides,
    };
    return runDoctor(deps, { instanceType });
  }
  const lines = (results: { name: string; status: string }[]) => results.map((r) => `${r.status} ${r.name}`);

  it('passes every check on a ready machine and account, in a fixed order', async () => {
    // Attached as the setup guide says: with the account's default VPC and project bucket filled in.
    const values = { vpcId: 'vpc-0default', bucket: bucketName(anAccount().accountId, anAccount().region) };
    const results = await doctor(anAccount({ roles: { operator: { path: '/', policies: [withAccountValues(JSON.parse(policyText) as object, values)] } } }));
    expect(lines(results)).to.deep.equal([
      'ok node',
      'ok git',
      'ok aws cli',
      'ok session-manager-plugin',
      'ok region',
      'ok credentials',
      'ok default vpc',
      'ok instance type',
      'ok permissions',
      'ok permissions boundary',
      'ok default ebs key',
      'ok session preferences',
    ]);
    expect(doctorFailed(results)).to.equal(false);
  });

  it('reports the AWS checks as skipped after a credentials failure, and asks AWS nothing more', async () => {
    const account = anAccount({ faults: { GetCallerIdentity: [awsError('CredentialsProviderError', 'Could not load credentials from any providers')] } });
    const results = await doctor(account);
    expect(lines(results).slice(5)).to.deep.equal(['fail credentials', 'skip default vpc', 'skip instance type', 'skip permissions', 'skip permissions boundary', 'skip default ebs key', 'skip session preferences']);
    expect(results[6]?.detail).to.equal('skipped: needs working credentials');
    expect(Object.keys(fake.sent)).to.deep.equal(['GetCallerIdentity']);
  });

  it('skips the credentials and AWS checks without a region, and never calls STS', async () => {
    const results = await doctor(anAccount(), {
      region: async () => {
        throw new Error('Region is missing');
      },
    });
    expect(lines(results).slice(4)).to.deep.equal(['fail region', 'skip credentials', 'skip default vpc', 'skip instance type', 'skip permissions', 'skip permissions boundary', 'skip default ebs key', 'skip session preferences']);
    expect(fake.sent).to.deep.equal({});
  });

  it('still checks AWS when a local tool is missing or Node is 20', async () => {
    const results = await doctor(anAccount(), { probe: probeOf({ git: TOOLS.git as string }), nodeVersion: '20.19.1' });
    expect(lines(results)).to.deep.equal([
      'fail node',
      'ok git',
      'warn aws cli',
      'warn session-manager-plugin',
      'ok region',
      'ok credentials',
      'ok default vpc',
      'ok instance type',
      'ok permissions',
      'ok permissions boundary',
      'ok default ebs key',
      'ok session preferences',
    ]);
    expect(doctorFailed(results)).to.equal(true);
  });

  it('passes without the AWS CLI and its plugin: only session and kibana need them', async () => {
    const results = await doctor(anAccount(), { probe: probeOf({ git: TOOLS.git as string }) });
    expect(lines(results).slice(2, 4)).to.deep.equal(['warn aws cli', 'warn session-manager-plugin']);
    expect(doctorFailed(results)).to.equal(false);
  });

  it('fails only the check whose call AWS refused, with its cause and fix, and runs the others', async () => {
    const results = await doctor(anAccount({ faults: { DescribeVpcs: [awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.')] } }), {}, 'm6i.large');
    expect(lines(results).slice(6)).to.deep.equal(['fail default vpc', 'fail instance type', 'ok permissions', 'ok permissions boundary', 'ok default ebs key', 'ok session preferences']);
    expect(results[6]?.detail).to.equal('AWS denied the request: You are not authorized to perform this operation');
    expect(results[7]?.detail).to.equal('eu-west-1 does not offer m6i.large');
  });

  describe('account guardrails', () => {
    it('fails when pillbox-boundary does not exist, naming how an administrator creates it', async () => {
      const results = await doctor(anAccount({ noBoundary: true }));
      const boundary = results.find((r) => r.name === 'permissions boundary');
      expect(boundary).to.include({ status: 'fail', detail: 'arn:aws:iam::123456789012:policy/pillbox-boundary does not exist: provision would stop at CreateRole' });
      expect(boundary?.fix).to.include('aws iam create-policy --policy-name pillbox-boundary');
      expect(doctorFailed(results)).to.equal(true);
    });

    describe('the default EBS key', () => {
      const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      const ebsCheck = async (account: Account) => (await doctor(account)).find((r) => r.name === 'default ebs key');

      it('warns when it is customer managed (KMS DescribeKey: KeyManager CUSTOMER), naming the launch symptom and the fix', async () => {
        const ebs = await ebsCheck(anAccount({ ebsDefaultKey: key, kmsKeys: { [key]: { manager: 'CUSTOMER' } } }));
        expect(ebs?.status).to.equal('warn');
        expect(ebs?.detail).to.equal(`the account's default EBS key ${key} is customer managed: a launch goes pending, then terminated with Client.InternalError, unless these credentials may use it`);
        expect(ebs?.fix).to.equal(EBS_KEY_FIX);
        expect(fake.sent.DescribeKey).to.deep.equal([{ KeyId: key }]);
      });

      it('passes an AWS managed key the account named explicitly (KeyManager AWS)', async () => {
        const alias = 'arn:aws:kms:eu-west-1:123456789012:alias/aws/ebs';
        expect((await ebsCheck(anAccount({ ebsDefaultKey: alias, kmsKeys: { [alias]: { manager: 'AWS' } } })))?.status).to.equal('ok');
        expect(fake.sent.DescribeKey).to.deep.equal([{ KeyId: alias }]);
      });

      it('never asks KMS about the default aws/ebs', async () => {
        expect((await ebsCheck(anAccount()))?.status).to.equal('ok');
        expect(fake.sent.DescribeKey).to.equal(undefined);
      });

      it('fails when the key is disabled or pending deletion: every encrypted launch fails', async () => {
        const ebs = await ebsCheck(anAccount({ ebsDefaultKey: key, kmsKeys: { [key]: { manager: 'CUSTOMER', state: 'PendingDeletion' } } }));
        expect(ebs).to.include({ status: 'fail', detail: `the account's default EBS key ${key} is PendingDeletion: every encrypted launch fails` });
      });

      it('warns, naming the refusal, when KMS will not describe the key', async () => {
        const ebs = await ebsCheck(anAccount({ ebsDefaultKey: key, faults: { DescribeKey: [awsError('AccessDeniedException')] } }));
        expect(ebs?.status).to.equal('warn');
        expect(ebs?.detail).to.match(/which KMS would not describe \(AccessDeniedException\): if it is customer managed/);
      });
    });

    it('warns when Session Manager preferences require KMS or logging the instance role does not grant', async () => {
      const prefs = { kmsKeyId: 'alias/sessions', s3BucketName: 'audit-logs', cloudWatchLogGroupName: '', s3EncryptionEnabled: true };
      const session = (await doctor(anAccount({ sessionPreferences: prefs }))).find((r) => r.name === 'session preferences');
      expect(session?.status).to.equal('warn');
      expect(session?.detail).to.match(/^Session Manager preferences require KMS encryption with alias\/sessions, logging to s3:\/\/audit-logs, which the pillbox instance role does not grant/);
      const plain = (await doctor(anAccount({ sessionPreferences: { kmsKeyId: '', s3BucketName: '', cloudWatchLogGroupName: '' } }))).find((r) => r.name === 'session preferences');
      expect(plain?.status).to.equal('ok');
    });
  });

  describe('the report', () => {
    const results = [
      ok('node', '24.22.3 (.node-version 24.22.3)'),
      fail('session-manager-plugin', '`session-manager-plugin` is not on PATH', 'Install it: https://example.test/plugin'),
      warn('permissions', 'not evaluated', 'Ask an administrator.'),
      skipped('default vpc', 'needs working credentials'),
    ];

    it('prints one aligned line per check, the fix under each problem, and a closing count', () => {
      expect(renderReport(results)).to.equal(
        [
          '✔ node                    24.22.3 (.node-version 24.22.3)',
          '✖ session-manager-plugin  `session-manager-plugin` is not on PATH',
          '  → Install it: https://example.test/plugin',
          '⚠ permissions             not evaluated',
          '  → Ask an administrator.',
          '– default vpc             skipped: needs working credentials',
          '',
          '1 failed, 1 warning, 1 passed, 1 skipped. Fix the ✖ lines, then run `npm run doctor` again.',
          '',
        ].join('\n'),
      );
    });

    it('points at the plan when nothing failed (warnings allowed)', () => {
      expect(renderReport(results.filter((r) => r.status !== 'fail'))).to.match(/\n1 warning, 1 passed, 1 skipped\. Ready: `npm run provision -- --plan`/);
    });

    it('gives the same results as JSON, with ok false when a check failed', () => {
      const json = JSON.parse(doctorJson(results)) as { ok: boolean; checks: unknown[] };
      expect(json.ok).to.equal(false);
      expect(json.checks).to.deep.equal(results);
    });
  });
});
