import { expect } from 'chai';
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';
import type { ObservedEnvironment } from '../../../scripts/lib/aws/environment.js';
import { planProvision, twoBoxesRefusal } from '../../../scripts/lib/provision/plan.js';
import { anInstance, everything, nothing } from '../fakes/observed.js';

const intent = { env: 'dev', instanceType: 't3.medium', allowedCidr: '0.0.0.0/0', replace: false };

describe('provision plan', () => {
  it('creates only the missing secrets and keeps the others', () => {
    const seen = { ...nothing(), parameters: ['/pillbox/dev/secrets/POSTGRES_PASSWORD'] };
    const secrets = planProvision(intent, seen).find((s) => s.resource === 'secrets');
    expect(secrets?.action).to.equal('create');
    expect(secrets?.detail).to.match(new RegExp(`^${SECRET_NAMES.length - 1} new SecureString \\(APP_DB_PASSWORD, .*\\); 1 kept$`));
  });

  it('replaces a stopped instance and keeps a running one unless --replace', () => {
    const stopped = planProvision(intent, { ...nothing(), instances: [anInstance({ state: 'stopped' })] }).filter((s) => s.resource === 'instance');
    expect(stopped.map((s) => s.action)).to.deep.equal(['delete', 'create']);
    expect(planProvision(intent, everything()).find((s) => s.resource === 'instance')?.action).to.equal('keep');
    expect(planProvision({ ...intent, replace: true }, everything()).find((s) => s.resource === 'instance')?.action).to.equal('replace');
  });

  it('keeps HTTP from everyone and HTTPS from the CIDR, and updates them when the CIDR differs, HTTP is narrowed, or another port is open', () => {
    const ingress = (seen = everything(), cidr = '0.0.0.0/0') => planProvision({ ...intent, allowedCidr: cidr }, seen).find((s) => s.resource === 'ingress');
    expect(ingress()).to.deep.equal({ action: 'keep', resource: 'ingress', name: 'tcp 80 from 0.0.0.0/0, tcp 443 from 0.0.0.0/0' });
    expect(ingress(everything(), '198.51.100.7/32')?.action).to.equal('update');
    const narrowed = (port80: string) => ({ ...everything(), securityGroup: { id: 'sg-1', ingress: [{ port: 80, cidrs: [port80] }, { port: 443, cidrs: ['198.51.100.7/32'] }] } });
    expect(ingress(narrowed('0.0.0.0/0'), '198.51.100.7/32')).to.deep.equal({ action: 'keep', resource: 'ingress', name: 'tcp 80 from 0.0.0.0/0, tcp 443 from 198.51.100.7/32' });
    expect(ingress(narrowed('198.51.100.7/32'), '198.51.100.7/32')?.action, 'an earlier release opened 80 to the range only').to.equal('update');
    const appPortToo = { ...everything(), securityGroup: { id: 'sg-1', ingress: [...everything().securityGroup!.ingress, { port: 3000, cidrs: ['0.0.0.0/0'] }] } };
    expect(ingress(appPortToo)?.action).to.equal('update');
  });

  it('attaches the Elastic IP only where it is not yet: a new instance, or another one', () => {
    const address = { allocationId: 'eipalloc-1', publicIp: '198.51.100.20', instanceId: 'i-1' };
    const eip = (seen: ObservedEnvironment, domain?: string, replace = false) =>
      planProvision({ ...intent, domain, replace }, seen)
        .filter((s) => s.resource === 'elastic-ip')
        .map((s) => s.action);
    expect(eip(nothing())).to.deep.equal([]);
    expect(eip(nothing(), 'app.example.com')).to.deep.equal(['create', 'update']);
    expect(eip({ ...everything(), elasticIp: address }, 'app.example.com')).to.deep.equal(['keep']);
    expect(eip({ ...everything(), elasticIp: address }, 'app.example.com', true)).to.deep.equal(['keep', 'update']);
    expect(eip({ ...everything(), elasticIp: { ...address, instanceId: undefined } })).to.deep.equal(['keep', 'update']);
  });
});

describe('the provision plan and the expiry schedule', () => {
  const intent = { env: 'dev', instanceType: 't3.medium', allowedCidr: '0.0.0.0/0', replace: false };
  const empty = { env: 'dev', instances: [], parameters: [], schedules: [] };

  it('lists the expiry schedule and its role for a new box', () => {
    const steps = planProvision(intent, empty).filter((s) => s.resource === 'expiry-schedule');
    expect(steps).to.deep.equal([
      { action: 'create', resource: 'expiry-schedule', name: 'pillbox-dev-expiry-<instance-id>', detail: 'EventBridge Scheduler one-shot that terminates the box after its ExpiresAt (once the launch names it)' },
    ]);
  });

  it('lists none for a running box it keeps (its schedule exists and stays)', () => {
    const running = { ...empty, instances: [{ id: 'i-1', env: 'dev', state: 'running', instanceType: 't3.medium' }], schedules: ['pillbox-dev-expiry-i-1'] };
    expect(planProvision(intent, running).filter((s) => s.resource === 'expiry-schedule')).to.deep.equal([]);
  });
});

describe('the provision plan with two live boxes', () => {
  const intent = { env: 'dev', instanceType: 't3.medium', allowedCidr: '0.0.0.0/0', replace: false };
  const original = anInstance({ id: 'i-old', launchTime: new Date('2026-11-21T08:00:00Z') });
  const successor = anInstance({ id: 'i-new', launchTime: new Date('2026-11-21T09:00:00Z'), replaces: 'i-old' });
  const address = { allocationId: 'eipalloc-1', publicIp: '198.51.100.20' };
  const boxSteps = (seen: ObservedEnvironment) => planProvision(intent, seen).filter((s) => s.resource === 'instance').map((s) => `${s.action} ${s.name}`);

  it('terminates a replacement that never took over, whatever the launch times say (a stop and start resets the original’s)', () => {
    const restarted = { ...original, launchTime: new Date('2026-11-21T10:00:00Z') };
    expect(boxSteps({ ...everything(), instances: [successor, restarted] })).to.deep.equal(['delete i-new', 'keep i-old']);
    expect(boxSteps({ ...everything(), instances: [successor, original], elasticIp: { ...address, instanceId: 'i-old' } })).to.deep.equal(['delete i-new', 'keep i-old']);
  });

  it('retires the original once the address moved to its replacement (the data was restored first)', () => {
    expect(boxSteps({ ...everything(), instances: [successor, original], elasticIp: { ...address, instanceId: 'i-new' } })).to.deep.equal(['delete i-old', 'keep i-new']);
  });

  it('refuses, naming both boxes, when neither is a replacement of the other', () => {
    const stranger = anInstance({ id: 'i-other', launchTime: new Date('2026-11-21T09:30:00Z') });
    for (const elasticIp of [undefined, { ...address, instanceId: 'i-old' }, { ...address, instanceId: undefined }]) {
      const seen = { ...everything(), instances: [stranger, original], ...(elasticIp ? { elasticIp } : {}) };
      const refusal = twoBoxesRefusal(seen);
      expect(refusal?.message).to.equal('Environment "dev" has more than one live box (i-other, i-old) and none was launched to replace the other: provision will not pick one to terminate.');
      expect(refusal?.hint).to.match(/`npm run status -- --env dev` shows them; keep the one that holds the data and terminate the others \(`aws ec2 terminate-instances --instance-ids <id>`\), then run provision again\.$/);
    }
    expect(twoBoxesRefusal({ ...everything(), instances: [successor, original] })).to.equal(undefined);
    expect(twoBoxesRefusal({ ...everything(), instances: [original] })).to.equal(undefined);
  });
});
