import { expect } from 'chai';
import { renderWritePasswords } from '../../../scripts/lib/status/write-password.js';

describe('status --show-write-password', () => {
  it('prints the password and how to send it', () => {
    const text = renderWritePasswords({ current: 'the-current-one' });
    expect(text).to.contain('write password: the-current-one\n');
    expect(text).to.contain('"Authorization: Bearer <password>"');
    expect(text).to.not.contain('previous');
  });

  it('shows the previous one while a rotation keeps it, and how to drop it', () => {
    const text = renderWritePasswords({ current: 'the-current-one', previous: 'the-old-one' });
    expect(text).to.contain('the previous one is still accepted: the-old-one');
    expect(text).to.contain('npm run deploy -- --write-password drop-previous');
  });

  it('says nothing of a previous one equal to the current (a rotation cut off between its writes)', () => {
    expect(renderWritePasswords({ current: 'same', previous: 'same' })).to.not.contain('previous');
  });
});
