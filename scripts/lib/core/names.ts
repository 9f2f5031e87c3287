// Every AWS name and tag derives from the environment name, so teardown finds
// everything again even after a provision that crashed half-way.

export const PROJECT = 'pillbox';

/** `[a-z0-9-]`, 1–24 chars, starting with a letter. */
export const ENV_NAME_PATTERN = /^[a-z][a-z0-9-]{0,23}$/;

/** Makes a valid environment name from a git branch (`feature/Add_Thing` → `feature-add-thing`). */
export function slugEnvName(branch: string): string {
  let slug = branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 24)
    .replace(/-+$/, '');
  if (slug === '') slug = 'main';
  return slug;
}

export interface EnvNames {
  env: string;
  /** IAM role and instance profile share one name. */
  role: string;
  instanceProfile: string;
  inlinePolicy: string;
  securityGroup: string;
  /** Name tag on the instance, shown in the EC2 console. */
  instance: string;
  /** With a trailing slash: the prefix of every parameter name of the environment. */
  parameterPath: string;
  /** Without a trailing slash: the hierarchy node GetParametersByPath takes. */
  parameterTree: string;
  secretsTree: string;
  lockParameter: string;
  secretParameter: (name: string) => string;
}

export function envNames(env: string): EnvNames {
  const parameterPath = `/${PROJECT}/${env}/`;
  const secretsTree = `${parameterPath}secrets`;
  return {
    env,
    role: `${PROJECT}-${env}-instance`,
    instanceProfile: `${PROJECT}-${env}-instance`,
    inlinePolicy: `${PROJECT}-${env}-instance`,
    securityGroup: `${PROJECT}-${env}`,
    instance: `${PROJECT}-${env}`,
    parameterPath,
    parameterTree: `/${PROJECT}/${env}`,
    secretsTree,
    lockParameter: `${parameterPath}lock`,
    secretParameter: (name) => `${secretsTree}/${name}`,
  };
}

export const TAG = {
  project: 'Project',
  env: 'Env',
  managedBy: 'ManagedBy',
  expiresAt: 'ExpiresAt',
  gitSha: 'GitSha',
  name: 'Name',
  amiId: 'AmiId',
  /** The optional compose profiles the box's user-data starts, comma-separated (box/stack-profiles.ts). */
  stackProfiles: 'StackProfiles',
  /** On a box `provision --replace` launched: the instance it replaces (so a re-run can tell an unfinished replace). */
  replaces: 'Replaces',
} as const;

export interface Tag {
  Key: string;
  Value: string;
}

export interface TagInput {
  env: string;
  expiresAt: Date;
  gitSha: string;
}

/** ISO 8601 UTC without milliseconds, as stored in the ExpiresAt tag. */
export const isoSeconds = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The tags every resource of an environment carries. */
export function baseTags({ env, expiresAt, gitSha }: TagInput): Tag[] {
  return [
    { Key: TAG.project, Value: PROJECT },
    { Key: TAG.env, Value: env },
    { Key: TAG.managedBy, Value: PROJECT },
    { Key: TAG.expiresAt, Value: isoSeconds(expiresAt) },
    { Key: TAG.gitSha, Value: gitSha },
  ];
}

/** The tags that say who owns a resource, for things with no expiry or commit (the teardown lock). */
export const ownerTags = (env: string): Tag[] => [
  { Key: TAG.project, Value: PROJECT },
  { Key: TAG.env, Value: env },
  { Key: TAG.managedBy, Value: PROJECT },
];

/** EC2 filters that select an environment's resources (or every pillbox resource without env). */
export function envFilters(env?: string): { Name: string; Values: string[] }[] {
  const filters = [{ Name: `tag:${TAG.project}`, Values: [PROJECT] }];
  if (env) filters.push({ Name: `tag:${TAG.env}`, Values: [env] });
  return filters;
}

export const tagValue = (tags: { Key?: string; Value?: string }[] | undefined, key: string): string | undefined =>
  tags?.find((t) => t.Key === key)?.Value;
