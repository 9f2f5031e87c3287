import { expect } from 'chai';
import { formatStep } from '../../../scripts/lib/core/step.js';
import { planTeardown } from '../../../scripts/lib/teardown/plan.js';
import { everything, nothing } from '../fakes/observed.js';

describe('teardown plan', () => {
  it('tears down instances first and IAM after the profile, skipping the lock', () => {
    expect(planTeardown(everything()).map(formatStep)).to.deep.equal([
      '- delete  instance         i-1  (running)',
      '- delete  expiry           pillbox-dev-expiry-i-1',
      '- delete  scheduler-role   pillbox-dev-scheduler',
      '- delete  security-group   pillbox-dev (sg-1)',
      '- delete  instance-profile pillbox-dev-instance',
      '- delete  role             pillbox-dev-instance  (and inline pillbox-dev-instance)',
      '- delete  secrets          /pillbox/dev/  (8 parameter(s))',
    ]);
    expect(planTeardown(nothing())).to.deep.equal([]);
  });
});
