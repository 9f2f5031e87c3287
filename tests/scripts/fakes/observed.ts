// What AWS says exists for an environment, as plan inputs: nothing, or all of it.
import type { EnvInstance, ObservedEnvironment } from '../../../scripts/lib/aws/environment.js';
import { SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';

export const nothing = (env = 'dev'): ObservedEnvironment => ({ env, instances: [], parameters: [], schedules: [] });
export const anInstance = (overrides: Partial<EnvInstance> = {}): EnvInstance => ({ id: 'i-1', env: 'dev', state: 'running', instanceType: 't3.medium', ...overrides });
export const everything = (): ObservedEnvironment => ({
  env: 'dev',
  instances: [anInstance()],
  securityGroup: { id: 'sg-1', ingress: [{ port: 80, cidrs: ['0.0.0.0/0'] }, { port: 443, cidrs: ['0.0.0.0/0'] }] },
  role: { name: 'pillbox-dev-instance', arn: 'arn', inlinePolicies: ['pillbox-dev-instance'] },
  instanceProfile: { name: 'pillbox-dev-instance', arn: 'arn', roles: ['pillbox-dev-instance'] },
  parameters: [...SECRET_NAMES.map((n) => `/pillbox/dev/secrets/${n}`), '/pillbox/dev/lock'],
  schedulerRole: 'pillbox-dev-scheduler',
  schedules: ['pillbox-dev-expiry-i-1'],
});
