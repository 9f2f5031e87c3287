import { expect } from 'chai';
import { assertCommitOnRemote, type GitRunner } from '../../../scripts/lib/core/git.js';
import { rejection } from '../fakes/fake-aws.js';

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const repo = (answers: Record<string, string | Error>): GitRunner & { asked: string[] } => {
  const asked: string[] = [];
  const run = async (args: string[]) => {
    const key = args.join(' ');
    asked.push(key);
    const answer = answers[key];
    if (answer === undefined || answer instanceof Error) throw answer ?? new Error(`unexpected git ${key}`);
    return answer;
  };
  return Object.assign(run, { asked });
};

describe('the commit to deploy', () => {
  it('is accepted when a remote ref points at it', async () => {
    const git = repo({ 'ls-remote https://x.test/r': `${SHA}\trefs/heads/main` });
    await assertCommitOnRemote(git, 'https://x.test/r', SHA);
    expect(git.asked).to.deep.equal(['ls-remote https://x.test/r']);
  });

  it('is accepted when a fetched remote branch contains it', async () => {
    const git = repo({ 'ls-remote https://x.test/r': `${'1'.repeat(40)}\trefs/heads/main`, [`branch -r --contains ${SHA}`]: '  origin/main' });
    await assertCommitOnRemote(git, 'https://x.test/r', SHA);
  });

  it('is refused when not pushed, saying to push', async () => {
    const git = repo({ 'ls-remote https://x.test/r': `${'1'.repeat(40)}\trefs/heads/main`, [`branch -r --contains ${SHA}`]: '' });
    const err = await rejection(assertCommitOnRemote(git, 'https://x.test/r', SHA));
    expect(err.message).to.equal('The commit abcdef0 is not on https://x.test/r.');
    expect(err.hint).to.equal('git push, or pass --ref with a pushed commit.');
  });

  it('explains an unreachable repository', async () => {
    const err = await rejection(assertCommitOnRemote(repo({ 'ls-remote https://x.test/r': new Error('fatal') }), 'https://x.test/r', SHA));
    expect(err.message).to.equal('Cannot read the repository https://x.test/r.');
  });
});
