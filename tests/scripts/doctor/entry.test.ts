import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Check {
  name: string;
  status: string;
  detail: string;
}

describe('npm run doctor (the entry, with no AWS account configured)', function () {
  this.timeout(60_000);
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'pillbox-doctor-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  /** Runs scripts/doctor.ts from an empty folder with an empty home: no .env, no ~/.aws, no instance metadata. */
  async function doctor(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const clean = { PATH: process.env.PATH ?? '', HOME: home, AWS_EC2_METADATA_DISABLED: 'true', ...env };
    try {
      const { stdout, stderr } = await run(join(root, 'node_modules/.bin/tsx'), [join(root, 'scripts/doctor.ts'), ...args], { cwd: home, env: clean, timeout: 45_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }
  const byName = (stdout: string) => new Map((JSON.parse(stdout) as { checks: Check[] }).checks.map((c) => [c.name, c]));

  it('exits 1 without a region, checks the local tools anyway and skips what needs AWS', async () => {
    const { code, stdout } = await doctor(['--json']);
    expect(code).to.equal(1);
    const checks = byName(stdout);
    expect(checks.get('node')?.status).to.be.oneOf(['ok', 'warn']);
    expect(checks.get('git')?.status).to.equal('ok');
    expect(checks.get('region')).to.include({ status: 'fail', detail: 'No AWS region configured' });
    expect([...checks.values()].slice(5).map((c) => `${c.name} ${c.status}`)).to.deep.equal(['credentials skip', 'default vpc skip', 'instance type skip', 'permissions skip', 'permissions boundary skip', 'default ebs key skip', 'session preferences skip']);
  });

  it('exits 1 on a machine without credentials, naming the fix', async () => {
    const { code, stdout } = await doctor([], { AWS_REGION: 'eu-west-1' });
    expect(code).to.equal(1);
    expect(stdout).to.match(/^✔ region {18}eu-west-1$/m);
    expect(stdout).to.match(/^✖ credentials {13}No AWS credentials found\n {2}→ Set AWS_PROFILE/m);
  });

  it('stops on an unknown flag with one line and the hint', async () => {
    const { code, stderr } = await doctor(['--env', 'main']);
    expect(code).to.equal(1);
    expect(stderr).to.equal("✖ Unknown option '--env'\n  → This command takes --region, --instance-type, --json, --debug, --help; --help says what each does.\n");
  });
});
