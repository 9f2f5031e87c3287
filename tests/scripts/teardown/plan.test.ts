import { expect } from 'chai';
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';
import { formatStep } from '../../../scripts/lib/core/step.js';
import { planTeardown } from '../../../scripts/lib/teardown/plan.js';
import { everything, nothing } from '../fakes/observed.js';

describe('teardown plan', () => {
  it('tears down instances first and IAM after the profile, skipping the lock', () => {
    expect(planTeardown(everything()).map(formatStep)).to.deep.equal([
      '- delete  instance         i-1  (running)',
      '- delete  security-group   pillbox-dev (sg-1)',
      '- delete  instance-profile pillbox-dev-instance',
      '- delete  role             pillbox-dev-instance  (and inline pillbox-dev-instance)',
      `- delete  secrets          /pillbox/dev/  (${SECRET_NAMES.length} parameter(s))`,
    ]);
    expect(planTeardown(nothing())).to.deep.equal([]);
  });
});

describe('teardown plan of the expiry machinery', () => {
  it('lists the schedules and their role, and a role left alone (a crash between creating it and the schedule)', () => {
    const seen = { env: 'dev', instances: [], parameters: [] };
    expect(planTeardown(seen, { schedules: ['pillbox-dev-expiry-i-1'], role: true })).to.deep.equal([
      { action: 'delete', resource: 'expiry-schedule', name: 'pillbox-dev-expiry-', detail: '1 schedule(s), role pillbox-dev-scheduler' },
    ]);
    expect(planTeardown(seen, { schedules: [], role: true })[0]?.detail).to.equal('0 schedule(s), role pillbox-dev-scheduler');
    expect(planTeardown(seen, { schedules: [], role: false })).to.deep.equal([]);
  });
});
