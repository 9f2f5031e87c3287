// `git archive` and the uncommitted-changes warning against a real repository.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import { systemGit } from '../../../scripts/lib/core/git.js';
import { buildSourceArchive, systemArchive, uncommittedWarning } from '../../../scripts/lib/core/source-archive.js';

/** File names in a tar archive (ustar headers: the name is the first 100 bytes of each 512-byte header). */
function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const name = tar.subarray(offset, offset + 100).toString('utf8').replace(/\0.*$/s, '');
    if (name === '') break;
    const size = parseInt(tar.subarray(offset + 124, offset + 136).toString('utf8').trim() || '0', 8);
    if (!name.startsWith('pax_global_header')) names.push(name);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

describe('the source archive', function () {
  this.timeout(15_000);
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), 'pillbox-repo-'));
    git('init', '--quiet', '--initial-branch=main');
    git('config', 'user.email', 'test@example.com');
    git('config', 'user.name', 'test');
    writeFileSync(join(repo, 'app.txt'), 'committed\n');
    git('add', 'app.txt');
    git('commit', '--quiet', '-m', 'first');
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  it('holds the committed files only, and the same commit always gives the same bytes and SHA-256', async () => {
    writeFileSync(join(repo, 'app.txt'), 'edited, not committed\n');
    writeFileSync(join(repo, 'scratch.txt'), 'untracked\n');
    const sha = git('rev-parse', 'HEAD');
    const one = await buildSourceArchive(systemArchive(repo), sha);
    const two = await buildSourceArchive(systemArchive(repo), sha);
    expect(tarNames(gunzipSync(one.body))).to.deep.equal(['app.txt']);
    expect(gunzipSync(one.body).toString('utf8')).to.include('committed\n').and.not.include('edited');
    expect(one.sha256).to.equal(two.sha256).and.match(/^[0-9a-f]{64}$/);
    expect(one.bytes).to.equal(one.body.length);
  });

  it('warns, naming them, when uncommitted changes stay behind the checked-out commit', async () => {
    writeFileSync(join(repo, 'app.txt'), 'edited\n');
    writeFileSync(join(repo, 'scratch.txt'), 'untracked\n');
    const sha = git('rev-parse', 'HEAD');
    expect(await uncommittedWarning(systemGit(repo), sha)).to.equal(`⚠ 2 uncommitted change(s) do NOT ship, only commit ${sha.slice(0, 7)} does: app.txt, scratch.txt. Commit them to ship them.`);
  });

  it('says nothing for a clean tree, or when another commit ships', async () => {
    const first = git('rev-parse', 'HEAD');
    expect(await uncommittedWarning(systemGit(repo), first)).to.equal(undefined);
    writeFileSync(join(repo, 'app.txt'), 'second\n');
    git('commit', '--quiet', '-am', 'second');
    writeFileSync(join(repo, 'app.txt'), 'dirty\n');
    expect(await uncommittedWarning(systemGit(repo), first)).to.equal(undefined);
  });

  it('ships the whole commit and sees every change when run from a subfolder (app/)', async () => {
    mkdirSync(join(repo, 'app'));
    writeFileSync(join(repo, 'app', 'server.ts'), 'served\n');
    git('add', '.');
    git('commit', '--quiet', '-m', 'app');
    writeFileSync(join(repo, 'scratch.txt'), 'untracked at the top\n');
    const sha = git('rev-parse', 'HEAD');
    const archive = await buildSourceArchive(systemArchive(join(repo, 'app')), sha);
    expect(tarNames(gunzipSync(archive.body))).to.deep.equal(['app.txt', 'app/', 'app/server.ts']);
    expect(await uncommittedWarning(systemGit(join(repo, 'app')), sha)).to.equal(`⚠ 1 uncommitted change(s) do NOT ship, only commit ${sha.slice(0, 7)} does: scratch.txt. Commit them to ship them.`);
  });
});
