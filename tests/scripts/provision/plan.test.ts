import { expect } from 'chai';
import { planProvision } from '../../../scripts/lib/provision/plan.js';
import { anInstance, everything, nothing } from '../fakes/observed.js';

const intent = { env: 'dev', instanceType: 't3.medium', appPort: 80, allowedCidr: '0.0.0.0/0', replace: false };

describe('provision plan', () => {
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
});
