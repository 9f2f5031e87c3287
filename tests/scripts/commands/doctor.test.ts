// npm run doctor as a user runs it (main with argv), against the doctor's fake account and a fake
// machine: each check's line, the closing advice, --json, and the exit code.
import { cpSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { main as doctor, type DoctorMachine } from '../../../scripts/doctor.js';
import type { AwsClients } from '../../../scripts/lib/core/aws-clients.js';
import { helpText } from '../../../scripts/lib/core/config.js';
import { REPO_DIR } from '../../../scripts/lib/core/cli.js';
import { doctorCommand } from '../../../scripts/lib/doctor/config.js';
import { POLICY_FILE } from '../../../scripts/lib/doctor/permissions.js';
import { anAccount, awsError, fakeClients, type Account } from '../doctor/fake-account.js';
import type { FakeAws } from '../fakes/fake-aws.js';
import { fakeClock } from '../fakes/fake-clock.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { INSTALLED } from '../fakes/fake-terminal.js';

const READY: DoctorMachine['machine'] = {
  nodeVersion: '24.22.3',
  probe: async (command) => {
    const version = { ...INSTALLED, git: 'git version 2.39.5' }[command];
    return version === undefined ? { found: false, output: '' } : { found: true, output: version };
  },
};

interface Check {
  name: string;
  status: string;
  detail: string;
  fix?: string;
}

describe('npm run doctor', () => {
  let account: ReturnType<typeof fakeClients> | undefined;
  afterEach(() => {
    account?.restore();
    account?.mocks.ssm.restore();
    account = undefined;
    process.exitCode = undefined;
  });

  /** Runs the doctor on `machine` against `state`; returns what it printed, the exit code it set, and the regions it asked for. */
  async function run(argv: string[], state: Account = anAccount(), machine = READY, repoDir = REPO_DIR) {
    account = fakeClients(state);
    const regions: (string | undefined)[] = [];
    // The doctor reaches AWS only through these clients; the fake account answers them.
    const clients = account.clients as unknown as AwsClients;
    const cli = cliDeps({ clock: fakeClock() } as FakeAws, { awsClients: (region) => (regions.push(region), clients), repoDir });
    await doctor(argv, { ...cli, machine });
    const code = process.exitCode;
    process.exitCode = undefined;
    return { out: cli.out(), code, regions, sent: account.sent };
  }
  const lineOf = (out: string, name: string) => out.split('\n').find((l) => new RegExp(`^. ${name} {2,}`).test(l));

  it('passes every check on a ready machine and account, one ✔ line each, says what to run next, and leaves the exit code alone', async () => {
    const { out, code, regions } = await run([]);
    const lines = out.split('\n\n')[0]!.split('\n');
    expect(lines.length).to.be.at.least(12);
    expect(lines.filter((l) => !l.startsWith('✔ ')), 'every line passes').to.deep.equal([]);
    expect(lineOf(out, 'node')).to.match(/^✔ node {2,}24\.22\.3/);
    expect(lineOf(out, 'region')).to.match(/^✔ region {2,}eu-west-1$/);
    expect(out).to.match(/\n\n\d+ passed\. Ready: `npm run provision -- --plan` shows what provision would create and what it costs\.\n$/);
    expect(code).to.equal(undefined);
    expect(regions).to.deep.equal([undefined]);
  });

  it('checks the default instance type t3.medium unless --instance-type names another, and fails on one the region does not offer', async () => {
    const { sent } = await run([]);
    expect(JSON.stringify(sent.DescribeInstanceTypeOfferings)).to.include('"t3.medium"').and.not.include('m6i.large');
    const { out, code } = await run(['--instance-type', 'm6i.large']);
    expect(lineOf(out, 'instance type')).to.equal('✖ instance type           eu-west-1 does not offer m6i.large');
    expect(out).to.match(/\n\n1 failed, \d+ passed\. Fix the ✖ lines, then run `npm run doctor` again\.\n$/);
    expect(code).to.equal(1);
  });

  it('passes --region to the AWS clients', async () => {
    const { regions } = await run(['--region', 'eu-west-1']);
    expect(regions).to.deep.equal(['eu-west-1']);
  });

  it('exits 1 with the fix under the line when the credentials do not work, and skips what needs them', async () => {
    const { out, code } = await run([], anAccount({ faults: { GetCallerIdentity: [awsError('ExpiredToken', 'The security token included in the request is expired')] } }));
    expect(out).to.match(/^✖ credentials {2,}.+\n {2}→ .+$/m);
    expect(lineOf(out, 'permissions')).to.match(/^– permissions {2,}skipped: needs working credentials$/);
    expect(code).to.equal(1);
  });

  it('warns without failing when the AWS CLI and its plugin are missing: only session and kibana need them', async () => {
    const machine = { ...READY, probe: async (command: string) => (command === 'git' ? { found: true, output: 'git version 2.39.5' } : { found: false, output: '' }) };
    const { out, code } = await run([], anAccount(), machine);
    expect(lineOf(out, 'aws cli')).to.match(/^⚠ aws cli /);
    expect(lineOf(out, 'session-manager-plugin')).to.match(/^⚠ session-manager-plugin /);
    expect(code).to.equal(undefined);
  });

  it('fails Node of another major than .node-version pins, and warns when the repository has no .node-version', async () => {
    const old = await run([], anAccount(), { ...READY, nodeVersion: '20.19.1' });
    expect(lineOf(old.out, 'node')).to.equal('✖ node                    Node 20.19.1 runs this; pillbox needs Node 24 (.node-version pins 24.22.3)');
    expect(old.code).to.equal(1);
    const bare = mkdtempSync(join(tmpdir(), 'pillbox-repo-'));
    try {
      mkdirSync(join(bare, 'docs'));
      cpSync(join(REPO_DIR, POLICY_FILE), join(bare, POLICY_FILE));
      const { out } = await run([], anAccount(), READY, bare);
      expect(lineOf(out, 'node')).to.equal('⚠ node                    24.22.3; no .node-version to compare with');
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('with --json prints the same results as one JSON document, and still exits 1 on a failure', async () => {
    const { out, code } = await run(['--json', '--instance-type', 'm6i.large']);
    const report = JSON.parse(out) as { ok: boolean; checks: Check[] };
    expect(report.ok).to.equal(false);
    expect(report.checks.find((c) => c.name === 'instance type')).to.deep.include({ status: 'fail', detail: 'eu-west-1 does not offer m6i.large' });
    expect(code).to.equal(1);
    const human = await run([]);
    expect(human.out, 'a report, not JSON, by default').to.match(/^✔ /);
  });

  it('--help prints the usage and asks nothing', async () => {
    const { out, sent } = await run(['--help']);
    expect(out).to.equal(helpText(doctorCommand));
    expect(sent).to.deep.equal({});
  });
});
