// The operate entry files run as an operator runs them; every case stops before reaching AWS.
import { execFile } from 'node:child_process';
import { expect } from 'chai';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const cli = (file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> =>
  new Promise((resolve) => {
    execFile('node_modules/.bin/tsx', [file, ...args], { env: { ...process.env, AWS_REGION: 'eu-west-1', PILLBOX_ENV: '', ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('the operate commands', function () {
  this.timeout(90_000);

  it('stop on a bad value with cause and fix, exit 1, no stack trace', async () => {
    const [logs, extend] = await Promise.all([cli('scripts/logs.ts', ['app', '--env', 'main', '--tail', 'lots']), cli('scripts/extend.ts', ['--env', 'main', '--hours', '0'])]);
    expect(logs.code).to.equal(1);
    expect(logs.stderr).to.include('✖ --tail=lots: expected a number of lines (1 or more) or all\n  → ');
    expect(extend.code).to.equal(1);
    expect(extend.stderr).to.match(/✖ --hours=0: /);
    expect(logs.stderr + extend.stderr).not.to.match(/\n\s+at /);
  });

  it('print the data commands\' usage, and restore stops without --from before any AWS call', async () => {
    const names = ['backup', 'backups', 'restore'];
    const runs = await Promise.all([...names.map((name) => cli(`scripts/${name}.ts`, ['--help'])), cli('scripts/restore.ts', ['--env', 'main'])]);
    names.forEach((name, i) => {
      expect(runs[i]?.code, `${name}: ${runs[i]?.stderr}`).to.equal(0);
      expect(runs[i]?.stdout).to.match(new RegExp(`^Usage: npx pillbox ${name} \\[options\\]\n {3}or: npm run ${name} -- \\[options\\]\n`));
    });
    expect(runs[2]?.stdout).to.include('--from <value>');
    expect(runs[3]?.code).to.equal(1);
    expect(runs[3]?.stderr).to.equal('✖ Missing --from: which backup to restore.\n  → Pass --from latest, or a key from `npm run backups`.\n');
  });

  it('refuse a compose subcommand exec does not run, before reaching AWS', async () => {
    const down = await cli('scripts/exec.ts', ['--env', 'main', 'down', '-v']);
    expect(down.code).to.equal(1);
    expect(down.stderr).to.match(/^✖ exec does not run `docker compose down`\.\n {2}→ It runs: ps, /);
    expect(down.stdout).to.equal('');
  });

  it('refuse an alert destination that is not an https URL, and a call with nothing to do, before reaching AWS', async () => {
    const [http, nothing] = await Promise.all([cli('scripts/alerts.ts', ['--env', 'main', '--webhook', 'http://hooks.example.com/x']), cli('scripts/alerts.ts', ['--env', 'main'])]);
    expect(http.code).to.equal(1);
    expect(http.stderr).to.match(/^✖ --webhook=http:\/\/hooks\.example\.com\/x: http:\/\/ is not allowed; alerts leave the box over the internet, so use an https URL\n/);
    expect(nothing.code).to.equal(1);
    expect(nothing.stderr).to.match(/^✖ nothing to do: pass --webhook URL, --test, or both\n {2}→ Run with --help to see the options\.\n/);
    expect(http.stderr + nothing.stderr).not.to.match(/\n\s+at /);
  });

  it('name a malformed region as the operator\'s to fix before storing an alert destination', async () => {
    const run = await cli('scripts/alerts.ts', ['--env', 'main', '--webhook', 'https://hooks.example.com/x'], { AWS_REGION: '' });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/^✖ Could not read the AWS region: .*\n {2}→ Check AWS_REGION, AWS_PROFILE and the region in ~\/\.aws\/config/);
    expect(run.stdout).to.equal('');
  });
});
