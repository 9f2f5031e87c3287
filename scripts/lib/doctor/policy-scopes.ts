// What the CLI needs, read from the documented policy (docs/operator-policy.json) and
// turned into requests for IAM's policy simulator: one per Allow statement, with its
// actions, its resources in this partition, account and region, and the request context
// its conditions expect (tags pillbox sets, the service a role is passed to, ...). Asked
// that way, a caller holding exactly the documented policy is allowed everything.
import type { ContextEntry } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { OperatorError } from '../core/operator-error.js';
import type { ResourceFit } from './action-resources.js';

const oneOrMany = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));
/** Condition values may be written as JSON booleans or numbers; IAM compares them as strings. */
const conditionValues = z
  .union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))])
  .transform((v) => (Array.isArray(v) ? v : [v]).map(String));

const statementSchema = z.object({
  Sid: z.string().optional(),
  Effect: z.enum(['Allow', 'Deny']),
  Action: oneOrMany.optional(),
  Resource: oneOrMany.optional(),
  Condition: z.record(z.string(), z.record(z.string(), conditionValues)).optional(),
});

const policySchema = z.object({ Version: z.string(), Statement: z.array(statementSchema) });

export type PolicyDocument = z.infer<typeof policySchema>;
export type PolicyStatement = PolicyDocument['Statement'][number];

export function parsePolicyDocument(text: string, source: string): PolicyDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OperatorError(`${source} is not valid JSON: ${(err as Error).message}`, `Restore ${source} from the repository.`);
  }
  const parsed = policySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OperatorError(`${source} is not an IAM policy document: ${issue?.path.join('.')} ${issue?.message}`, `Restore ${source} from the repository.`);
  }
  return parsed.data;
}

export interface SimulationScope {
  /** The statement it comes from, named in the report. */
  sid: string;
  actions: string[];
  /** Concrete for this account and region; absent where the statement says `*` (the simulator's default). */
  resources?: string[];
  context: ContextEntry[];
}

export interface ScopeTarget {
  partition: string;
  account: string;
  region: string;
  /** Values for policy variables such as `${aws:userid}`, by lower-case key. */
  variables: Record<string, string>;
}

/** Services whose calls are not made in a region, so `aws:RequestedRegion` is not theirs to check. */
const GLOBAL_SERVICES = new Set(['iam']);

/**
 * Operators whose own values satisfy them. Negated, numeric, date and IP operators are
 * left out: no value can be read off them, and the simulator reports such keys as missing.
 */
const SATISFIED_BY_OWN_VALUE = /^(?:(ForAllValues|ForAnyValue):)?(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike|Bool)(?:IfExists)?$/;

const VARIABLE = /\$\{([^}]+)\}/g;

/** Fills `${aws:userid}` and friends; undefined when a variable has no known value. */
function substitute(value: string, variables: Record<string, string>): string | undefined {
  let unknown = false;
  const filled = value.replace(VARIABLE, (_m, name: string) => {
    const known = variables[name.toLowerCase()];
    if (known === undefined) unknown = true;
    return known ?? '';
  });
  return unknown ? undefined : filled;
}

function conditionContext(statement: PolicyStatement, target: ScopeTarget): ContextEntry[] {
  const entries = new Map<string, ContextEntry>();
  const add = (entry: ContextEntry) => {
    const key = (entry.ContextKeyName ?? '').toLowerCase();
    if (!entries.has(key)) entries.set(key, entry);
  };
  for (const [operator, pairs] of Object.entries(statement.Condition ?? {})) {
    const op = SATISFIED_BY_OWN_VALUE.exec(operator);
    if (!op) continue;
    const many = op[1] !== undefined;
    const kind = op[2] === 'Bool' ? 'boolean' : 'string';
    for (const [key, raw] of Object.entries(pairs)) {
      const values = raw.map((v) => substitute(v, target.variables));
      if (values.some((v) => v === undefined)) continue;
      add({ ContextKeyName: key, ContextKeyValues: many ? (values as string[]) : [values[0] as string], ContextKeyType: many ? `${kind}List` : kind });
      // The caller's own copy of the condition needs the variable itself to resolve it.
      for (const v of raw) {
        for (const [, name] of v.matchAll(VARIABLE)) add({ ContextKeyName: name, ContextKeyValues: [target.variables[(name as string).toLowerCase()] as string], ContextKeyType: 'string' });
      }
    }
  }
  const regional = (statement.Action ?? []).every((a) => !GLOBAL_SERVICES.has(a.split(':')[0] ?? ''));
  if (regional) add({ ContextKeyName: 'aws:RequestedRegion', ContextKeyValues: [target.region], ContextKeyType: 'string' });
  return [...entries.values()];
}

/** `arn:aws:ec2:*:*:instance/*` → `arn:aws:ec2:eu-west-1:123456789012:instance/*`; `*` stays. */
function concreteArn(arn: string, target: ScopeTarget): string {
  const parts = arn.split(':');
  if (parts[0] !== 'arn' || parts.length < 6) return arn;
  const [, , service, region, account] = parts;
  return ['arn', target.partition, service, region === '*' ? target.region : region, account === '*' ? target.account : account, parts.slice(5).join(':')].join(':');
}

/**
 * One request per statement and per set of resources: each action is asked about the
 * statement's resources it can act on (all of them must be allowed, as RunInstances needs its
 * instance, volume and network interface), or about `*` when it takes none of them.
 */
export function simulationScopes(policy: PolicyDocument, target: ScopeTarget, fit: ResourceFit): SimulationScope[] {
  return policy.Statement.flatMap((s, i) => {
    if (s.Effect !== 'Allow' || !s.Action?.length) return [];
    const sid = s.Sid ?? `statement ${i + 1}`;
    const context = conditionContext(s, target);
    const resources = s.Resource ?? ['*'];
    if (resources.includes('*')) return [{ sid, actions: s.Action, context }];
    const concrete = resources.map((r) => concreteArn(r, target));
    const groups = new Map<string, SimulationScope>();
    for (const action of s.Action) {
      const fitting = concrete.filter((arn) => fit(action, arn));
      const key = fitting.join(' ');
      const group = groups.get(key) ?? { sid, actions: [], ...(fitting.length > 0 ? { resources: fitting } : {}), context };
      group.actions.push(action);
      groups.set(key, group);
    }
    return [...groups.values()];
  });
}

/** Every action the policy allows, once each, in the order written. */
export const policyActionNames = (policy: PolicyDocument): string[] => [...new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action ?? []))];
