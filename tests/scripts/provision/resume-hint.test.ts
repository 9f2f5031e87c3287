// What an interrupted provision says to type: the rerun, after unlock when the run died holding the lock.
import { expect } from 'chai';
import { resumeHint } from '../../../scripts/lib/provision/resume-hint.js';

describe('the hint after Ctrl-C in provision', () => {
  it('names the rerun, which converges, when no lock stays behind', () => {
    expect(resumeHint('feat-a', false)).to.equal(
      'Run `npx pillbox provision --env feat-a` again: it converges from where this stopped (`npx pillbox status --env feat-a` shows the box meanwhile).',
    );
  });

  it('names unlock first when the lock stays behind (a rerun within 2 h would be refused)', () => {
    expect(resumeHint('feat-a', true)).to.equal(
      'This run\'s lock on "feat-a" stays behind: remove it with `npx pillbox unlock --env feat-a`, then run `npx pillbox provision --env feat-a` again: it converges from where this stopped (`npx pillbox status --env feat-a` shows the box meanwhile).',
    );
  });
});
