// Plans are data: what provision or teardown will do, worked out from config and what AWS
// says exists. Pure: no clients, no I/O. `--plan` prints these; the executors act on them.
import type { EnvInstance, ObservedEnvironment } from './environment.js';
import { envNames } from './names.js';
import { SECRET_NAMES } from './secrets.js';

export type Action = 'create' | 'keep' | 'update' | 'replace' | 'delete';
export type Resource = 'role' | 'role-policy' | 'instance-profile' | 'secrets' | 'security-group' | 'ingress' | 'instance';

export interface Step {
  action: Action;
  resource: Resource;
  name: string;
  detail?: string;
}

export interface ProvisionIntent {
  env: string;
  instanceType: string;
  appPort: number;
  allowedCidr: string;
  replace: boolean;
}

/** The instance provision converges on: running or starting, not on its way out. */
export const currentInstance = (instances: readonly EnvInstance[]): EnvInstance | undefined =>
  instances.find((i) => i.state === 'running' || i.state === 'pending');

const ingressMatches = (seen: ObservedEnvironment['securityGroup'], port: number, cidr: string): boolean =>
  !!seen && seen.ingress.length === 1 && seen.ingress[0]?.port === port && seen.ingress[0].cidrs.length === 1 && seen.ingress[0].cidrs[0] === cidr;

export function planProvision(intent: ProvisionIntent, seen: ObservedEnvironment): Step[] {
  const n = envNames(intent.env);
  const step = (action: Action, resource: Resource, name: string, detail?: string): Step => (detail ? { action, resource, name, detail } : { action, resource, name });
  const missing = SECRET_NAMES.filter((s) => !seen.parameters.includes(n.secretParameter(s)));
  const instance = currentInstance(seen.instances);
  const stale = seen.instances.filter((i) => i.state === 'stopped' || i.state === 'stopping');
  const ingress = `tcp ${intent.appPort} from ${intent.allowedCidr}`;

  const steps: Step[] = [
    seen.role ? step('keep', 'role', n.role) : step('create', 'role', n.role),
    // Written every time so a changed policy converges.
    step(seen.role?.inlinePolicies.includes(n.inlinePolicy) ? 'update' : 'create', 'role-policy', n.inlinePolicy, 'SSM agent + read /pillbox/' + intent.env + '/*'),
    seen.instanceProfile?.roles.includes(n.role)
      ? step('keep', 'instance-profile', n.instanceProfile)
      : step(seen.instanceProfile ? 'update' : 'create', 'instance-profile', n.instanceProfile, `with role ${n.role}`),
    missing.length > 0
      ? step('create', 'secrets', n.secretsTree, `${missing.length} new SecureString (${missing.join(', ')}); ${SECRET_NAMES.length - missing.length} kept`)
      : step('keep', 'secrets', n.secretsTree, `${SECRET_NAMES.length} SecureString`),
    seen.securityGroup ? step('keep', 'security-group', `${n.securityGroup} (${seen.securityGroup.id})`) : step('create', 'security-group', n.securityGroup, 'default VPC'),
    ingressMatches(seen.securityGroup, intent.appPort, intent.allowedCidr) ? step('keep', 'ingress', ingress) : step(seen.securityGroup ? 'update' : 'create', 'ingress', ingress, 'no other inbound rule'),
  ];
  for (const old of stale) steps.push(step('delete', 'instance', old.id, `${old.state}, replaced`));
  if (!instance) steps.push(step('create', 'instance', n.instance, intent.instanceType));
  else if (intent.replace) steps.push(step('replace', 'instance', instance.id, intent.instanceType));
  else steps.push(step('keep', 'instance', instance.id, `${instance.state}; \`npm run deploy\` ships new commits, --replace recreates`));
  return steps;
}

/** Teardown in dependency order: the instance first, since it holds the SG and profile. */
export function planTeardown(seen: ObservedEnvironment): Step[] {
  const n = envNames(seen.env);
  const steps: Step[] = [];
  for (const i of seen.instances) steps.push({ action: 'delete', resource: 'instance', name: i.id, detail: i.state });
  if (seen.securityGroup) steps.push({ action: 'delete', resource: 'security-group', name: `${n.securityGroup} (${seen.securityGroup.id})` });
  if (seen.instanceProfile) steps.push({ action: 'delete', resource: 'instance-profile', name: n.instanceProfile });
  if (seen.role) steps.push({ action: 'delete', resource: 'role', name: n.role, detail: seen.role.inlinePolicies.length ? `and inline ${seen.role.inlinePolicies.join(', ')}` : undefined });
  const params = seen.parameters.filter((p) => p !== n.lockParameter);
  if (params.length > 0) steps.push({ action: 'delete', resource: 'secrets', name: n.parameterPath, detail: `${params.length} parameter(s)` });
  return steps.map((s) => (s.detail === undefined ? { action: s.action, resource: s.resource, name: s.name } : s));
}

export const isMutating = (s: Step): boolean => s.action !== 'keep';

const SYMBOL: Record<Action, string> = { create: '+', keep: '=', update: '~', replace: '±', delete: '-' };

export const formatStep = (s: Step): string => `${SYMBOL[s.action]} ${s.action.padEnd(7)} ${s.resource.padEnd(16)} ${s.name}${s.detail ? `  (${s.detail})` : ''}`;
