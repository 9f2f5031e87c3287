// A box beyond the preview's 72 hours is kept on purpose only: asked, with what a month costs.
import { expect } from 'chai';
import { confirmLongLived, longLivedCost, monthlyCost, type ConfirmOptions } from '../../../scripts/lib/core/long-lived.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';

const box = { env: 'main', hours: 720, instanceType: 't3.medium', volumeGiB: 30 };

/** Records the questions; answers `answer`. */
function asking(answer: boolean, over: Partial<ConfirmOptions> = {}): ConfirmOptions & { questions: string[] } {
  const questions: string[] = [];
  return { yes: false, interactive: true, ask: async (q) => (questions.push(q), answer), questions, ...over };
}

describe('a long-lived box', () => {
  it('costs a month of instance, volume and public IPv4 at on-demand prices', () => {
    // t3.medium $0.0416/h + 30 GiB × $0.08/GiB-month + $0.005/h IPv4, over 730 h.
    expect(monthlyCost('t3.medium', 30)).to.be.closeTo(36.418, 0.001);
  });

  it('is described with its life, its monthly cost and the worst case of unlimited CPU credits', () => {
    expect(longLivedCost(box)).to.equal(
      'Environment "main" would live 30 days, beyond the 72 h of a preview box: about $36.42 a month (on-demand, t3.medium, 30 GiB gp3, public IPv4, up to $58.40 more if its CPU credits stayed unlimited), plus its backups.',
    );
    expect(longLivedCost({ ...box, hours: 100, instanceType: 'm6i.large' })).to.match(/would live 100 hours, .*m6i\.large, 30 GiB gp3, public IPv4\), plus/);
  });

  it('goes on without asking for a preview box (72 h or less)', async () => {
    const options = asking(false);
    await confirmLongLived({ ...box, hours: 72 }, options, '--ttl-hours 72 or less');
    expect(options.questions).to.deep.equal([]);
  });

  it('asks on a terminal with the monthly cost, and goes on when confirmed', async () => {
    const options = asking(true);
    await confirmLongLived(box, options, '--ttl-hours 72 or less');
    expect(options.questions).to.deep.equal([`${longLivedCost(box)}\nKeep it that long?`]);
  });

  it('stops, changing nothing, when the answer is no', async () => {
    const err = await confirmLongLived(box, asking(false), '--ttl-hours 72 or less').catch((e: unknown) => e as OperatorError);
    expect(err).to.be.instanceOf(OperatorError);
    expect(err?.message).to.equal('Not confirmed; nothing was changed.');
    expect(err?.hint).to.equal('Run again with --ttl-hours 72 or less, or answer yes.');
  });

  it('needs --yes without a terminal (CI never keeps a box by default), saying the cost', async () => {
    const err = await confirmLongLived(box, asking(true, { interactive: false }), '--ttl-hours 72 or less').catch((e: unknown) => e as OperatorError);
    expect(err?.message).to.equal(`${longLivedCost(box)} Nothing was changed.`);
    expect(err?.hint).to.equal('Pass --yes to keep it that long, or --ttl-hours 72 or less.');
    const yes = asking(false, { interactive: false, yes: true });
    await confirmLongLived(box, yes, '--ttl-hours 72 or less');
    expect(yes.questions, '--yes asks nothing').to.deep.equal([]);
  });
});
