// npm run docs:flags as a user runs it (main with argv), on a copy of the repository's generated
// files: what it rewrites, what it leaves, and that a file without its markers stops it before any write.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { main as docsFlags } from '../../../scripts/docs-flags.js';
import { REPO_DIR } from '../../../scripts/lib/core/cli.js';
import { GENERATED_DOCS } from '../../../scripts/lib/docs/generated-docs.js';
import { rejection, type FakeAws } from '../fakes/fake-aws.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { fakeClock } from '../fakes/fake-clock.js';

const FILES = GENERATED_DOCS.map((d) => d.file);

describe('npm run docs:flags', () => {
  let repo: string;
  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), 'pillbox-docs-'));
    for (const file of FILES) {
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      cpSync(join(REPO_DIR, file), join(repo, file));
    }
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));
  const read = (file: string) => readFileSync(join(repo, file), 'utf8');
  async function run() {
    const cli = cliDeps({ clock: fakeClock() } as FakeAws, { repoDir: repo });
    await docsFlags([], cli);
    return cli.out();
  }

  it('leaves files that are current untouched (not even written again), and says so for each', async () => {
    const before = FILES.map(read);
    const longAgo = new Date('2020-01-01T00:00:00Z');
    for (const file of FILES) utimesSync(join(repo, file), longAgo, longAgo);
    expect(await run()).to.equal(FILES.map((f) => `unchanged ${f}\n`).join(''));
    expect(FILES.map(read)).to.deep.equal(before);
    expect(FILES.map((f) => statSync(join(repo, f)).mtime.toISOString()), 'an editor or make sees no change').to.deep.equal(FILES.map(() => longAgo.toISOString()));
  });

  it('rewrites a stale flag table in docs/commands.md and the policy JSONs, and nothing else', async () => {
    const table = read('docs/commands.md');
    const stale = table.replace('lines per service, or all (default 200)', 'lines per service (default 100)');
    expect(stale, 'the fixture found the row').not.to.equal(table);
    writeFileSync(join(repo, 'docs/commands.md'), stale);
    writeFileSync(join(repo, 'docs/operator-policy.json'), '{}\n');
    writeFileSync(join(repo, 'docs/deploy-role-policy.json'), '{}\n');
    const out = await run();
    expect(out).to.equal(FILES.map((f) => `${f === '.env.example' ? 'unchanged' : 'rewrote'} ${f}\n`).join(''));
    expect(read('docs/commands.md')).to.equal(table);
    for (const policy of ['docs/operator-policy.json', 'docs/deploy-role-policy.json']) expect(read(policy)).to.equal(readFileSync(join(REPO_DIR, policy), 'utf8'));
  });

  it('writes nothing when a file has lost its generated block, naming the file', async () => {
    writeFileSync(join(repo, 'docs/operator-policy.json'), '{}\n');
    writeFileSync(join(repo, '.env.example'), '# no markers here\n');
    const err = await rejection(run());
    expect(err.message).to.include('.env.example');
    expect(read('docs/operator-policy.json'), 'rendered before anything was written').to.equal('{}\n');
  });
});
