import { expect } from 'chai';
import type { EnvInstance, ObservedEnvironment } from '../../scripts/lib/environment.js';
import { instancePolicy, SSM_AGENT_ACTIONS } from '../../scripts/lib/instance-policy.js';
import { formatStep, planProvision, planTeardown } from '../../scripts/lib/plan.js';
import { SECRET_NAMES } from '../../scripts/lib/secrets.js';

const nothing = (env = 'dev'): ObservedEnvironment => ({ env, instances: [], parameters: [] });
const anInstance = (overrides: Partial<EnvInstance> = {}): EnvInstance => ({ id: 'i-1', env: 'dev', state: 'running', instanceType: 't3.medium', ...overrides });
const intent = { env: 'dev', instanceType: 't3.medium', appPort: 80, allowedCidr: '0.0.0.0/0', replace: false };
const everything = (): ObservedEnvironment => ({
  env: 'dev',
  instances: [anInstance()],
  securityGroup: { id: 'sg-1', ingress: [{ port: 80, cidrs: ['0.0.0.0/0'] }] },
  role: { name: 'pillbox-dev-instance', arn: 'arn', inlinePolicies: ['pillbox-dev-instance'] },
  instanceProfile: { name: 'pillbox-dev-instance', arn: 'arn', roles: ['pillbox-dev-instance'] },
  parameters: [...SECRET_NAMES.map((n) => `/pillbox/dev/secrets/${n}`), '/pillbox/dev/lock'],
});

describe('plans', () => {
  it('creates only the missing secrets and keeps the others', () => {
    const seen = { ...nothing(), parameters: ['/pillbox/dev/secrets/POSTGRES_PASSWORD'] };
    const secrets = planProvision(intent, seen).find((s) => s.resource === 'secrets');
    expect(secrets?.action).to.equal('create');
    expect(secrets?.detail).to.match(/^7 new SecureString \(APP_DB_PASSWORD, .*\); 1 kept$/);
  });

  it('replaces a stopped instance and keeps a running one unless --replace', () => {
    const stopped = planProvision(intent, { ...nothing(), instances: [anInstance({ state: 'stopped' })] }).filter((s) => s.resource === 'instance');
    expect(stopped.map((s) => s.action)).to.deep.equal(['delete', 'create']);
    expect(planProvision(intent, everything()).find((s) => s.resource === 'instance')?.action).to.equal('keep');
    expect(planProvision({ ...intent, replace: true }, everything()).find((s) => s.resource === 'instance')?.action).to.equal('replace');
  });

  it('updates the ingress rule when the port or CIDR differ', () => {
    expect(planProvision({ ...intent, allowedCidr: '198.51.100.7/32' }, everything()).find((s) => s.resource === 'ingress')?.action).to.equal('update');
  });

  it('tears down instances first and IAM after the profile, skipping the lock', () => {
    expect(planTeardown(everything()).map(formatStep)).to.deep.equal([
      '- delete  instance         i-1  (running)',
      '- delete  security-group   pillbox-dev (sg-1)',
      '- delete  instance-profile pillbox-dev-instance',
      '- delete  role             pillbox-dev-instance  (and inline pillbox-dev-instance)',
      '- delete  secrets          /pillbox/dev/  (8 parameter(s))',
    ]);
    expect(planTeardown(nothing())).to.deep.equal([]);
  });
});

describe('instance policy', () => {
  const doc = instancePolicy({ env: 'dev', region: 'eu-west-1', accountId: '123456789012' });

  it('grants the SSM agent its channels and nothing that reads parameters account-wide', () => {
    const agent = doc.Statement.find((s) => s.Sid === 'SsmAgent');
    expect(agent?.Resource).to.equal('*');
    expect(agent?.Action).to.deep.equal(SSM_AGENT_ACTIONS);
    expect(SSM_AGENT_ACTIONS.some((a) => a.startsWith('ssm:GetParameter') || a.includes('*'))).to.equal(false);
  });

  it('reads parameters under its own environment path only', () => {
    const own = doc.Statement.find((s) => s.Sid === 'OwnParameters');
    expect(own?.Resource).to.deep.equal(['arn:aws:ssm:eu-west-1:123456789012:parameter/pillbox/dev', 'arn:aws:ssm:eu-west-1:123456789012:parameter/pillbox/dev/*']);
    expect(doc.Statement).to.have.length(2);
    expect(JSON.stringify(doc)).not.to.match(/kms:|iam:|ec2:|s3:/);
  });
});
