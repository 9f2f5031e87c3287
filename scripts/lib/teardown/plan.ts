// What teardown will remove, in dependency order. Pure: no clients, no I/O.
import type { ObservedEnvironment } from '../aws/environment.js';
import { envNames } from '../core/names.js';
import type { Step } from '../core/step.js';

/** Teardown in dependency order: the instance first, since it holds the SG and profile. */
export function planTeardown(seen: ObservedEnvironment): Step[] {
  const n = envNames(seen.env);
  const steps: Step[] = [];
  for (const i of seen.instances) steps.push({ action: 'delete', resource: 'instance', name: i.id, detail: i.state });
  // Released once its instance is gone; a DNS record that still points at it must go too.
  if (seen.elasticIp) steps.push({ action: 'delete', resource: 'elastic-ip', name: seen.elasticIp.publicIp, detail: 'remove any DNS record pointing at it' });
  for (const schedule of seen.schedules) steps.push({ action: 'delete', resource: 'expiry', name: schedule });
  // Found on its own too: provision makes it before the launch, so a crash can leave it alone.
  if (seen.schedulerRole) steps.push({ action: 'delete', resource: 'scheduler-role', name: seen.schedulerRole });
  if (seen.securityGroup) steps.push({ action: 'delete', resource: 'security-group', name: `${n.securityGroup} (${seen.securityGroup.id})` });
  if (seen.instanceProfile) steps.push({ action: 'delete', resource: 'instance-profile', name: n.instanceProfile });
  if (seen.role) steps.push({ action: 'delete', resource: 'role', name: n.role, detail: seen.role.inlinePolicies.length ? `and inline ${seen.role.inlinePolicies.join(', ')}` : undefined });
  const params = seen.parameters.filter((p) => p !== n.lockParameter);
  if (params.length > 0) steps.push({ action: 'delete', resource: 'secrets', name: n.parameterPath, detail: `${params.length} parameter(s)` });
  return steps.map((s) => (s.detail === undefined ? { action: s.action, resource: s.resource, name: s.name } : s));
}
