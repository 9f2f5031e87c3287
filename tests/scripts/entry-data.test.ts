// The backup, backups and restore entry files run as an operator runs them; no case reaches AWS.
import { execFile } from 'node:child_process';
import { expect } from 'chai';

const cli = (file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile('node_modules/.bin/tsx', [file, ...args], { env: { ...process.env, AWS_REGION: 'eu-west-1', PILLBOX_ENV: '' }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('the data commands', function () {
  this.timeout(90_000);

  it('print their usage with --help', async () => {
    const names = ['backup', 'backups', 'restore'];
    const runs = await Promise.all(names.map((name) => cli(`scripts/${name}.ts`, ['--help'])));
    runs.forEach((r, i) => {
      expect(r.code, `${names[i]}: ${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(new RegExp(`^Usage: npm run ${names[i]} -- \\[options\\]`));
    });
    expect(runs[2]?.stdout).to.include('--from <value>');
    expect(runs[2]?.stdout).to.include('--no-backup');
  });

  it('restore stops without --from, saying what to pass, before any AWS call', async () => {
    const run = await cli('scripts/restore.ts', ['--env', 'main']);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.equal('✖ Missing --from: which backup to restore.\n  → Pass --from latest, or a key from `npm run backups`.\n');
  });
});
