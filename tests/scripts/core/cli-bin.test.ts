// `npx pillbox <command> [flags]`: the flags reach the command as typed, with no `--`.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { commandList, pickCommand } from '../../../scripts/lib/core/cli-bin.js';
import { COMMANDS } from '../../../scripts/lib/docs/commands.js';
import { root } from '../docs/cli-scripts.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npx --no pillbox ...`, as the README advises: the root package's own bin, never the registry's package of that name. */
const npx = (args: string[], cwd = root): Promise<Run> =>
  new Promise((resolve) => {
    execFile('npx', ['--no', 'pillbox', ...args], { cwd, env: { ...process.env, AWS_REGION: 'eu-west-1', PILLBOX_ENV: '' }, timeout: 90_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('the pillbox bin', function () {
  this.timeout(120_000);

  it('is package.json\'s "pillbox" bin, an executable file Node runs itself', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin?: Record<string, string> };
    const file = pkg.bin?.pillbox as string;
    expect(file).to.equal('scripts/pillbox.ts');
    expect(readFileSync(`${root}${file}`, 'utf8').split('\n')[0]).to.equal('#!/usr/bin/env node');
    expect(statSync(`${root}${file}`).mode & 0o111, 'executable').to.not.equal(0);
  });

  it('hands the flags after the command to it as typed (npx pillbox logs --tail abc reaches logs)', async () => {
    const run = await npx(['logs', '--tail', 'abc']);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/^✖ --tail=abc: expected a number of lines/);
  });

  it('runs from a workspace folder too, and prints a command\'s --help', async () => {
    const run = await npx(['status', '--help'], `${root}app`);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^Usage: npx pillbox status \[options\]\n {3}or: npm run status -- \[options\]\n/);
  });

  it('runs the command from the repository root, as npm run does: from app/ it reads the root .env', async function () {
    const dotenv = `${root}.env`;
    if (existsSync(dotenv)) this.skip(); // never touch an operator's own settings
    writeFileSync(dotenv, 'PILLBOX_LOGS_TAIL=abc\n');
    try {
      const run = await npx(['logs'], `${root}app`);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(/^✖ PILLBOX_LOGS_TAIL=abc: expected a number of lines/);
    } finally {
      rmSync(dotenv);
    }
  });

  it('with --no, as the README says, outside the repository stops instead of fetching the registry\'s package "pillbox"', async () => {
    expect(readFileSync(`${root}README.md`, 'utf8')).to.include('`npx --no pillbox <command>`');
    const outside = mkdtempSync(join(tmpdir(), 'pillbox-outside-'));
    try {
      const run = await npx(['status', '--help'], outside);
      expect(run.code).to.not.equal(0);
      expect(run.stderr).to.include('could not determine executable to run');
      expect(run.stdout).to.equal('');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses an unknown command in one line naming the commands', () => {
    const picked = pickCommand(COMMANDS, 'lgos');
    expect(picked.kind).to.equal('unknown');
    expect(picked.kind === 'unknown' && picked.message).to.match(/^✖ pillbox has no command "lgos"\.\n {2}→ Use one of: doctor, provision, .*restore \(npx pillbox --help lists them\)\.\n$/);
  });

  it('lists every command, one line each, with nothing or --help', () => {
    expect(pickCommand(COMMANDS, undefined).kind).to.equal('list');
    expect(pickCommand(COMMANDS, '--help').kind).to.equal('list');
    const picked = pickCommand(COMMANDS, 'logs');
    expect(picked.kind === 'run' && picked.command.name).to.equal('logs');
    const lines = commandList(COMMANDS).split('\n').filter((l) => l.startsWith('  '));
    expect(lines.map((l) => l.trim().split(' ')[0])).to.deep.equal(COMMANDS.map((c) => c.name));
  });
});
