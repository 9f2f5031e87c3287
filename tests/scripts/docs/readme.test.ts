// The README is two screens a person reads; the reference lives in docs/, and every link between
// them lands on a file and a heading that exist.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { expect } from 'chai';
import { root } from './cli-scripts.js';

const DOCS = ['README.md', 'STEPS.md', 'compose/README.md', ...readdirSync(`${root}docs`).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

const read = (file: string): string => readFileSync(join(root, file), 'utf8');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of a markdown file's headings (outside code blocks), a repeated one numbered as GitHub does. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.+)$/.exec(line)?.[1];
    if (!heading) continue;
    const base = anchorOf(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links `[text](target)` outside code blocks. */
function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string).filter((t) => !/^[a-z]+:/.test(t));
}

describe('the README', () => {
  const readme = read('README.md');

  it('fits two screens: at most 12 KB', () => {
    expect(Buffer.byteLength(readme)).to.be.at.most(12 * 1024);
  });

  it('opens with "Is this for you?" and the two commands of a fresh machine', () => {
    const top = readme.split('\n').slice(0, 40).join('\n');
    expect(top).to.match(/^npm ci && npm start\b/m);
    expect(top).to.match(/^npm test\b/m);
    expect(readme.split('\n').filter((l) => l.startsWith('## '))[0]).to.equal('## Is this for you?');
  });

  it('says what the box opens: HTTPS from the first boot, port 80 for the ACME challenge and the redirect only, a password for writes', () => {
    const forYou = readme.slice(readme.indexOf('## Is this for you?'), readme.indexOf('## Quick start'));
    expect(forYou).to.match(/port 80 is open to everyone for Let's Encrypt's\s+challenge and the redirect to HTTPS only/);
    expect(forYou).to.match(/enforced at the edge/);
    expect(forYou).to.include('--show-write-password');
    expect(readme, 'the API is no longer described as open to writes').to.not.match(/no authentication/);
  });

  it('links every reference file in docs/', () => {
    const missing = readdirSync(`${root}docs`)
      .filter((f) => f.endsWith('.md'))
      .filter((f) => !readme.includes(`](docs/${f})`));
    expect(missing).to.deep.equal([]);
  });
});

describe('links between the docs', () => {
  it('find a link to a missing heading (the check can fail)', () => {
    expect(anchors('# A\n## The `app`: API\n```\n# not a heading\n```\n## A\n')).to.deep.equal(new Set(['a', 'the-app-api', 'a-1']));
  });

  for (const file of DOCS) {
    it(`from ${file} land on a file and heading that exist`, () => {
      const broken = links(read(file)).filter((target) => {
        const [path = '', anchor] = target.split('#');
        const to = path === '' ? file : normalize(join(dirname(file), path));
        if (!existsSync(join(root, to))) return true;
        return anchor !== undefined && to.endsWith('.md') && !anchors(read(to)).has(anchor);
      });
      expect(broken).to.deep.equal([]);
    });
  }
});

describe('the life of a box in the docs', () => {
  it('never says 72 hours is a cap: a longer life is allowed after a confirmation', () => {
    const capped = ['README.md', ...DOCS.filter((f) => f.startsWith('docs/'))].filter((f) => /at most 72\b/i.test(read(f)));
    expect(capped).to.deep.equal([]);
  });
});

describe('STEPS.md', () => {
  it('opens with a table of contents linking every phase', () => {
    const steps = read('STEPS.md');
    const phases = steps.split('\n').filter((l) => /^## \d+\. /.test(l));
    expect(phases.length).to.be.at.least(7);
    const toc = steps.slice(0, steps.indexOf(phases[0] as string));
    for (const phase of phases) expect(toc, phase).to.include(`](#${anchorOf(phase.slice(3))})`);
  });
});

describe('the Node install command', () => {
  it('is the same in the README and in the doctor', async () => {
    const { nodeInstallHint } = await import('../../../scripts/lib/doctor/local-tools.js');
    const pinned = read('.node-version').trim();
    const command = /`([^`]+)`/.exec(nodeInstallHint(pinned))?.[1] as string;
    expect(command).to.equal(`nvm install ${pinned}`);
    expect(read('README.md')).to.include(`\`${command}\``);
  });
});
