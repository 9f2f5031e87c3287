// What provision will do, worked out from its settings and what exists. Pure: no clients, no I/O.
import type { EnvInstance, ObservedEnvironment } from '../aws/environment.js';
import { expiryNames } from '../aws/expiry-schedule.js';
import { SECRET_NAMES } from '../aws/secrets.js';
import { edgeIngress } from '../aws/security-group.js';
import { envNames } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { isBurstable } from '../core/pricing.js';
import type { Action, Resource, Step } from '../core/step.js';
import { cidrDrift, expiryStep, instanceDrift, type Drift } from './drift.js';

export interface ProvisionIntent {
  env: string;
  instanceType: string;
  allowedCidr: string;
  replace: boolean;
  /** A domain needs an address that survives --replace: the environment's Elastic IP. */
  domain?: string;
  /** The running box's settings against the asked-for ones (drift.ts). */
  drift?: Drift;
}

const live = (i: EnvInstance): boolean => i.state === 'running' || i.state === 'pending';

type Seen = Pick<ObservedEnvironment, 'env' | 'instances' | 'elasticIp'>;

/**
 * The instance provision converges on: running or starting, not on its way out. Two live boxes are a --replace
 * stopped between its launch and the retirement only when one carries the other's id in its Replaces tag: the
 * successor serves once the address moved to it (that comes after its data was restored), else the original does.
 * Launch times prove nothing (a stop and start resets one); any other pair is refused (twoBoxesRefusal).
 */
export function currentInstance(seen: Seen): EnvInstance | undefined {
  const candidates = seen.instances.filter(live);
  const pointed = candidates.find((i) => i.id === seen.elasticIp?.instanceId);
  if (pointed?.replaces && candidates.some((i) => i.id === pointed.replaces)) return pointed;
  return candidates.find((i) => candidates.some((other) => other.replaces === i.id)) ?? candidates[0];
}

/** Live boxes beside the current one that provision cannot prove are an unfinished replace of it: it touches neither. */
export function twoBoxesRefusal(seen: Seen): OperatorError | undefined {
  const current = currentInstance(seen);
  const unproven = seen.instances.filter((i) => live(i) && i !== current && i.replaces !== current?.id && current?.replaces !== i.id);
  if (!current || unproven.length === 0) return undefined;
  const ids = seen.instances.filter((i) => i === current || unproven.includes(i)).map((i) => i.id);
  return new OperatorError(
    `Environment "${seen.env}" has more than one live box (${ids.join(', ')}) and none was launched to replace the other: provision will not pick one to terminate.`,
    `\`npm run status -- --env ${seen.env}\` shows them; keep the one that holds the data and terminate the others (\`aws ec2 terminate-instances --instance-ids <id>\`), then run provision again.`,
  );
}

/** Exactly the edge's rules: one permission per port, each open to its one range, and nothing else. */
const ingressMatches = (seen: ObservedEnvironment['securityGroup'], cidr: string): boolean =>
  !!seen &&
  seen.ingress.length === edgeIngress(cidr).length &&
  edgeIngress(cidr).every((want) => seen.ingress.some((rule) => rule.port === want.port && rule.cidrs.length === 1 && rule.cidrs[0] === want.cidr));

export function planProvision(intent: ProvisionIntent, seen: ObservedEnvironment): Step[] {
  const n = envNames(intent.env);
  const step = (action: Action, resource: Resource, name: string, detail?: string): Step => (detail ? { action, resource, name, detail } : { action, resource, name });
  const missing = SECRET_NAMES.filter((s) => !seen.parameters.includes(n.secretParameter(s)));
  const instance = currentInstance(seen);
  // A stopped box, or the other half of an interrupted --replace (twoBoxesRefusal stops any other pair before this).
  const stale = seen.instances.filter((i) => i !== instance && (live(i) || i.state === 'stopped' || i.state === 'stopping'));
  const ingress = edgeIngress(intent.allowedCidr)
    .map((r) => `tcp ${r.port} from ${r.cidr}`)
    .join(', ');

  const steps: Step[] = [
    seen.role ? step('keep', 'role', n.role) : step('create', 'role', n.role),
    // Written every time so a changed policy converges.
    step(seen.role?.inlinePolicies.includes(n.inlinePolicy) ? 'update' : 'create', 'role-policy', n.inlinePolicy, `SSM agent + read /pillbox/${intent.env}/* + its own prefix of the bucket`),
    seen.instanceProfile?.roles.includes(n.role)
      ? step('keep', 'instance-profile', n.instanceProfile)
      : step(seen.instanceProfile ? 'update' : 'create', 'instance-profile', n.instanceProfile, `with role ${n.role}`),
    // With the IAM phase, so it has propagated by the time the launched box's schedule needs it.
    step(seen.schedulerRole ? 'update' : 'create', 'scheduler-role', expiryNames(intent.env).role, 'EventBridge Scheduler: terminate the instance after its expiry'),
    missing.length > 0
      ? step('create', 'secrets', n.secretsTree, `${missing.length} new SecureString (${missing.join(', ')}); ${SECRET_NAMES.length - missing.length} kept`)
      : step('keep', 'secrets', n.secretsTree, `${SECRET_NAMES.length} SecureString`),
    seen.securityGroup ? step('keep', 'security-group', `${n.securityGroup} (${seen.securityGroup.id})`) : step('create', 'security-group', n.securityGroup, 'default VPC'),
    ingressMatches(seen.securityGroup, intent.allowedCidr) ? step('keep', 'ingress', ingress) : step(seen.securityGroup ? 'update' : 'create', 'ingress', ingress, cidrDrift(intent.drift) ?? 'no other inbound rule'),
  ];
  // Kept once it exists, even without a domain now: a DNS record may still point at it (teardown releases it).
  const address = seen.elasticIp;
  if (address) steps.push(step('keep', 'elastic-ip', address.publicIp));
  else if (intent.domain) steps.push(step('create', 'elastic-ip', n.instance, `for ${intent.domain}`));
  for (const old of stale) steps.push(step('delete', 'instance', old.id, !live(old) ? `${old.state}, replaced` : old.replaces === instance?.id ? `${old.state}, a replacement that never took over from ${old.replaces}` : `${old.state}, replaced by ${instance?.id}`));
  const credits = isBurstable(intent.instanceType) ? ', CPU credits unlimited' : '';
  if (!instance) steps.push(step('create', 'instance', n.instance, `${intent.instanceType}${credits}`));
  else if (intent.replace) {
    const changed = instanceDrift(intent.drift, true);
    steps.push(step('replace', 'instance', instance.id, `${changed ? `${changed}; ` : ''}launch a new ${intent.instanceType} first${credits}; ${instance.id} serves until it is healthy`));
  } else {
    steps.push(step('keep', 'instance', instance.id, instanceDrift(intent.drift, false) ?? `${instance.state}; \`npm run deploy\` ships new commits, --replace recreates`));
    const expiry = expiryStep(intent.drift);
    const schedule = expiryNames(intent.env).schedule(instance.id);
    // Moving the expiry re-arms a missing schedule too; otherwise a box that lost its guard gets it back.
    if (expiry) steps.push(expiry);
    if (expiry?.action !== 'update' && !seen.schedules.includes(schedule)) steps.push(step('create', 'expiry', schedule, 'the off-box expiry guard was missing: re-armed'));
    // Whatever the group step says: a box from before the edge knew the range has none in its settings, and its
    // group may already match (a world-open box). The box is asked, and changes only when its range differs.
    steps.push(step('update', 'edge-range', intent.allowedCidr, "the box's settings and its running edge, when they say another range (checked on the box)"));
  }
  // A new instance, or one the address is not on, gets it once running.
  const launched = !instance || intent.replace;
  if (launched) {
    // The one-shot that terminates the box from outside at ExpiresAt, even if it never boots.
    const expiry = expiryNames(intent.env);
    steps.push(step('create', 'expiry-schedule', `${expiry.schedulePrefix}<instance-id>`, 'EventBridge Scheduler one-shot that terminates the box after its ExpiresAt (once the launch names it)'));
  }
  if ((address || intent.domain) && (launched || address?.instanceId !== instance?.id)) {
    const when = intent.replace && instance ? 'move to the new instance once it serves, before the old one retires' : 'attach to the instance once it runs';
    steps.push(step('update', 'elastic-ip', address?.publicIp ?? n.instance, when));
  }
  return steps;
}

