// Finds the IAM actions a TypeScript source calls: through the AWS SDK v3 clients
// (imported `XxxCommand` classes, `paginateXxx` helpers and `waitUntilXxx` waiters, whose
// Describe/Get call is read from the SDK's own waiter code) and through the AWS CLI
// (argv arrays such as ['ssm', 'start-session', ...]); and the AWS CLI commands the
// operator docs tell the operator to run with the same role (`aws ec2 get-console-output`).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** IAM service prefix of each SDK client package the CLI may use. */
export const SERVICE_PREFIX: Record<string, string> = {
  ec2: 'ec2',
  ssm: 'ssm',
  iam: 'iam',
  sts: 'sts',
  s3: 's3',
  scheduler: 'scheduler',
  'resource-groups-tagging-api': 'tag',
  kms: 'kms',
};

/** S3 calls whose IAM action has another name than the call (the rest are the same). */
export const S3_ACTIONS: Record<string, string> = {
  HeadBucket: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  HeadObject: 'GetObject',
  DeleteObjects: 'DeleteObject',
  PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
  PutBucketEncryption: 'PutEncryptionConfiguration',
  PutBucketLifecycleConfiguration: 'PutLifecycleConfiguration',
};

/** Calls every principal may make without any permission. */
export const FREE_ACTIONS = new Set(['sts:GetCallerIdentity']);

/**
 * Calls that may be refused without harm: `npm run doctor` asks IAM's simulator about the
 * operator's own permissions and, when refused, says so in a warning. The deploy role never
 * runs the doctor, so its policy leaves them out.
 */
export const OPTIONAL_ACTIONS = new Set(['iam:SimulatePrincipalPolicy']);

/**
 * Permissions AWS checks on top of the call itself. The CLI tags everything it creates
 * (tag-on-create), passes the instance role to EC2, and the AWS CLI ends the sessions it opens.
 */
export const IMPLIED_ACTIONS: Record<string, string[]> = {
  'ec2:RunInstances': ['ec2:CreateTags', 'iam:PassRole'],
  'ec2:CreateSecurityGroup': ['ec2:CreateTags'],
  'ec2:AuthorizeSecurityGroupIngress': ['ec2:CreateTags'],
  'ec2:AllocateAddress': ['ec2:CreateTags'],
  'iam:CreateRole': ['iam:TagRole'],
  'iam:CreateInstanceProfile': ['iam:TagInstanceProfile'],
  'ssm:PutParameter': ['ssm:AddTagsToResource'],
  'ssm:StartSession': ['ssm:TerminateSession'],
  // Every upload carries the kind tag the lifecycle rules expire by.
  's3:PutObject': ['s3:PutObjectTagging'],
  // The schedule's target role is passed to the scheduler.
  'scheduler:CreateSchedule': ['iam:PassRole'],
  'scheduler:UpdateSchedule': ['iam:PassRole'],
};

/** The called actions plus what they imply, minus the free and the optional ones. */
export function requiredActions(called: Iterable<string>): Set<string> {
  const required = new Set<string>();
  for (const action of called) {
    for (const needed of [action, ...(IMPLIED_ACTIONS[action] ?? [])]) {
      if (!FREE_ACTIONS.has(needed) && !OPTIONAL_ACTIONS.has(needed)) required.add(needed);
    }
  }
  return required;
}

export interface ActionUse {
  action: string;
  file: string;
  /** The imported name that implies the action (`RunInstancesCommand`, `waitUntilInstanceRunning`). */
  via: string;
}

/** The SDK call a waiter makes, e.g. waitUntilInstanceRunning → DescribeInstances. */
export type WaiterResolver = (client: string, waiter: string) => string;

export function sdkWaiterResolver(nodeModules: string): WaiterResolver {
  return (client, waiter) => {
    const file = join(nodeModules, '@aws-sdk', `client-${client}`, 'dist-es', 'waiters', `waitFor${waiter}.js`);
    if (!existsSync(file)) throw new Error(`No waiter waitUntil${waiter} in @aws-sdk/client-${client} (looked for ${file})`);
    const command = /new (\w+)Command\(/.exec(readFileSync(file, 'utf8'));
    if (!command?.[1]) throw new Error(`Cannot tell which call ${file} makes`);
    return command[1];
  };
}

const NAMED_IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]@aws-sdk\/client-([a-z0-9-]+)['"]/g;
const NAMESPACE_IMPORT = /import\s+\*\s+as\s+(\w+)\s+from\s*['"]@aws-sdk\/client-([a-z0-9-]+)['"]/g;

function prefixOf(client: string, file: string): string {
  const prefix = SERVICE_PREFIX[client];
  if (!prefix) throw new Error(`${file} imports @aws-sdk/client-${client}: add its IAM prefix to SERVICE_PREFIX`);
  return prefix;
}

function callOf(name: string, client: string, resolveWaiter: WaiterResolver): string | undefined {
  if (/^[A-Z]\w*Command$/.test(name) && name !== 'Command') return name.slice(0, -'Command'.length);
  if (/^paginate[A-Z]\w*$/.test(name)) return name.slice('paginate'.length);
  if (/^waitUntil[A-Z]\w*$/.test(name)) return resolveWaiter(client, name.slice('waitUntil'.length));
  return undefined;
}

/** The IAM action of an SDK call. */
function actionOf(name: string, client: string, resolveWaiter: WaiterResolver): string | undefined {
  const call = callOf(name, client, resolveWaiter);
  return call && client === 's3' ? (S3_ACTIONS[call] ?? call) : call;
}

const CLI_ARGV = /['"]([a-z0-9]+)['"]\s*,\s*['"]([a-z]+(?:-[a-z]+)+)['"]/g;

/** `start-session` → `StartSession`. */
const pascal = (kebab: string): string => kebab.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());

/** Every SDK or AWS CLI action a source file uses (types, clients and models are ignored). */
export function actionsInSource(source: string, file: string, resolveWaiter: WaiterResolver): ActionUse[] {
  const uses: ActionUse[] = [];
  for (const match of source.matchAll(NAMED_IMPORT)) {
    if (match[1]) continue; // `import type { ... }` makes no calls
    const client = match[3] as string;
    const prefix = prefixOf(client, file);
    for (const raw of (match[2] as string).split(',')) {
      const spec = raw.trim();
      if (spec === '' || spec.startsWith('type ')) continue;
      const name = spec.split(/\s+as\s+/)[0]!.trim();
      const action = actionOf(name, client, resolveWaiter);
      if (action) uses.push({ action: `${prefix}:${action}`, file, via: name });
    }
  }
  for (const match of source.matchAll(NAMESPACE_IMPORT)) {
    const [, alias, client] = match as unknown as [string, string, string];
    const prefix = prefixOf(client, file);
    for (const member of source.matchAll(new RegExp(`\\b${alias}\\.(\\w+)`, 'g'))) {
      const name = member[1] as string;
      const action = actionOf(name, client, resolveWaiter);
      if (action) uses.push({ action: `${prefix}:${action}`, file, via: `${alias}.${name}` });
    }
  }
  for (const match of source.matchAll(CLI_ARGV)) {
    const [argv, service, operation] = match as unknown as [string, string, string];
    const prefix = SERVICE_PREFIX[service];
    if (prefix) uses.push({ action: `${prefix}:${pascal(operation)}`, file, via: `aws ${argv.replace(/['"\s]/g, '').replace(',', ' ')}` });
  }
  return uses;
}

const DOC_COMMAND = /\baws ([a-z0-9]+) ([a-z]+(?:-[a-z]+)+)/g;

/** `aws <service> <operation>` in a document, for the services the CLI uses. */
export function actionsInDoc(text: string, file: string): ActionUse[] {
  return [...text.matchAll(DOC_COMMAND)].flatMap(([command, service, operation]) => {
    const prefix = SERVICE_PREFIX[service as string];
    return prefix ? [{ action: `${prefix}:${pascal(operation as string)}`, file, via: command }] : [];
  });
}

/** Operator docs whose AWS CLI commands run with the same role as the CLI. */
export const OPERATOR_DOCS = ['docs/runbook.md', 'README.md', 'docs/commands.md'];

/** Every AWS action the CLI under `root`/scripts uses, and those the operator docs use. */
export function cliActionUses(root: string, resolveWaiter: WaiterResolver): ActionUse[] {
  return [
    ...typescriptFiles(join(root, 'scripts')).flatMap((file) => actionsInSource(readFileSync(file, 'utf8'), relative(root, file), resolveWaiter)),
    ...OPERATOR_DOCS.flatMap((file) => actionsInDoc(readFileSync(join(root, file), 'utf8'), file)),
  ];
}

/** All `.ts` files under a directory, recursively. */
export function typescriptFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' ? [] : typescriptFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

interface PolicyStatement {
  Effect?: string;
  Action?: string | string[];
}

/** The actions a policy document allows, as written (no wildcards are expected); Deny statements grant nothing. */
export function policyActions(policy: { Statement: PolicyStatement[] }): Set<string> {
  const actions = new Set<string>();
  for (const statement of policy.Statement.filter((s) => s.Effect === 'Allow')) {
    const list = statement.Action === undefined ? [] : Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    for (const action of list) actions.add(action);
  }
  return actions;
}

export interface PolicyDiff {
  /** Called by the CLI but not allowed by the policy. */
  missing: string[];
  /** Allowed by the policy but no longer called. */
  unused: string[];
}

export function comparePolicy(called: Iterable<string>, allowed: Set<string>): PolicyDiff {
  const need = requiredActions(called);
  return {
    missing: [...need].filter((a) => !allowed.has(a)).sort(),
    unused: [...allowed].filter((a) => !need.has(a)).sort(),
  };
}
