import { expect } from 'chai';
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';
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
      `- delete  secrets          /pillbox/dev/  (${SECRET_NAMES.length} parameter(s))`,
    ]);
    expect(planTeardown(nothing())).to.deep.equal([]);
  });
});

describe('teardown plan of the expiry machinery', () => {
  it('lists each schedule, and the scheduler role also when it was left alone (a crash between creating it and the schedule)', () => {
    const seen = { env: 'dev', instances: [], parameters: [] };
    expect(planTeardown({ ...seen, schedules: ['pillbox-dev-expiry-i-1'], schedulerRole: 'pillbox-dev-scheduler' })).to.deep.equal([
      { action: 'delete', resource: 'expiry', name: 'pillbox-dev-expiry-i-1' },
      { action: 'delete', resource: 'scheduler-role', name: 'pillbox-dev-scheduler' },
    ]);
    expect(planTeardown({ ...seen, schedules: [], schedulerRole: 'pillbox-dev-scheduler' })).to.deep.equal([{ action: 'delete', resource: 'scheduler-role', name: 'pillbox-dev-scheduler' }]);
    expect(planTeardown({ ...seen, schedules: [] })).to.deep.equal([]);
  });
});
