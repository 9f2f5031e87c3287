// Waits that speak: one live line on a terminal, a line per change and at least one a minute otherwise.
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { fitLine, Progress } from '../../../scripts/lib/core/progress.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('progress', () => {
  it('without a terminal prints the budget, a line per change of state, not one per poll, and one a minute', async () => {
    const out = capture();
    let now = 0;
    const progress = new Progress({ stream: out.stream, now: () => now, live: false });
    await progress.step(
      'wait: the stack',
      async (report) => {
        for (let i = 0; i < 8; i++) {
          now += 15_000;
          report(i < 6 ? '3/10 healthy' : '10/10 healthy');
        }
      },
      { budgetMs: 20 * 60_000 },
    );
    expect(out.text().split('\n')).to.deep.equal([
      '▸ wait: the stack (budget 20m00s)',
      '  … 3/10 healthy (15s of 20m00s)',
      '  … 3/10 healthy (1m15s of 20m00s)',
      '  … 10/10 healthy (1m45s of 20m00s)',
      '✓ wait: the stack (2m00s)',
      '',
    ]);
  });

  it('without a terminal says a silent wait is still waiting, once a minute', async () => {
    const out = capture();
    const progress = new Progress({ stream: out.stream, live: false, tickMs: 5, plainEveryMs: 40 });
    await progress.step('wait: SSM agent online', () => sleep(130), { budgetMs: 5 * 60_000 });
    const still = out.text().split('\n').filter((l) => l.startsWith('  … still waiting'));
    expect(still.length).to.be.within(2, 4);
    expect(still[0]).to.match(/^ {2}… still waiting \(0s of 5m00s\)$/);
  });

  it('on a terminal redraws one line with a spinner, the time against the budget and the state, then ends it', async () => {
    const out = capture();
    let now = 0;
    const progress = new Progress({ stream: out.stream, now: () => now, live: true, tickMs: 5 });
    await progress.step(
      'wait: cloud-init finished',
      async (report) => {
        now = 65_000;
        report('running');
        await sleep(40);
      },
      { budgetMs: 8 * 60_000 },
    );
    const text = out.text();
    expect(text.split('\n'), 'one line: no newline until the step ends').to.have.length(2);
    expect(text).to.include('\r\x1b[2K⠋ wait: cloud-init finished — 0s of 8m00s');
    expect(text).to.include(' wait: cloud-init finished — 1m05s of 8m00s · running');
    expect(text.split('\r\x1b[2K').length - 1, 'redrawn while it waits').to.be.greaterThan(3);
    expect(text.endsWith('\r\x1b[2K✓ wait: cloud-init finished (1m05s)\n')).to.equal(true);
  });

  it('on a terminal cuts the live line to one column less than the window, so it never wraps and scrolls', async () => {
    const out = capture();
    Object.assign(out.stream, { columns: 40 });
    const progress = new Progress({ stream: out.stream, now: () => 0, live: true, tickMs: 5 });
    const detail = 'app: starting · postgres: healthy · elasticsearch: starting · kibana: starting · apm-server: created';
    await progress.step('wait: the stack healthy', async (report) => {
      report(detail);
      await sleep(30);
    });
    const drawn = out.text().split('\r\x1b[2K').filter((l) => l !== '' && !l.startsWith('✓'));
    expect(drawn.length).to.be.greaterThan(2);
    for (const line of drawn) expect(Array.from(line).length, line).to.be.at.most(39);
    const last = drawn.at(-1) as string;
    expect(Array.from(last).length).to.equal(39);
    expect(last.slice(1)).to.equal(' wait: the stack healthy — 0s · app: …');
    expect(fitLine('⠋ short', 80), 'a line that fits is left alone').to.equal('⠋ short');
    expect(fitLine('é'.repeat(100), 80), 'counted in characters, not bytes').to.equal(`${'é'.repeat(78)}…`);
  });

  it('on Ctrl-C says which step was under way, for how long of its budget, and how to resume', async () => {
    const out = capture();
    let now = 0;
    const progress = new Progress({ stream: out.stream, now: () => now, live: false });
    let said = '';
    await progress.step(
      'wait: SSM agent online',
      async () => {
        now = 130_000;
        said = progress.interruption('Run `npx pillbox provision` again: it converges from where this stopped.');
      },
      { budgetMs: 5 * 60_000 },
    );
    expect(said).to.equal('✖ Interrupted during "wait: SSM agent online" after 2m10s of 5m00s; what comes after it was not done.\n  → Run `npx pillbox provision` again: it converges from where this stopped.\n');
    expect(progress.interruption('again')).to.equal('✖ Interrupted between steps; what comes after it was not done.\n  → again\n');
  });
});
