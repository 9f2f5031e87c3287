// The compose secrets the stack grants, checked against the rule of the image that reads each file.
//
// Compose writes a secret sourced from `environment:` into the container at start, as a file whose owner and mode
// come from the grant's long syntax, or root:root 0444 without it (docker/compose v5.1.0, pkg/compose/secrets.go,
// createTar; `mode` as a string is octal: compose-spec/compose-go v2.10.1, types/types.go, FileMode). A release
// whose grant breaks its image's rule is refused before it ships, with one line naming the grant.
import { parse } from 'yaml';
import type { GitRunner } from '../core/git.js';
import { OperatorError } from '../core/operator-error.js';

/** The compose file as the repository holds it (the box's copy comes from the same commit). */
const COMPOSE_FILE_IN_REPO = 'compose/compose.yaml';

/** The file compose writes for one grant. */
export interface SecretFile {
  uid: number;
  gid: number;
  mode: number;
}

/** How an image reads a secret file: the user it runs as, and what it refuses. */
export interface ImageSecretRule {
  /** What the rule applies to: an image reference prefix, or the Dockerfile a service builds. */
  image?: string;
  dockerfile?: string;
  /** The uid the process that reads the file runs as. */
  uid: number;
  /** Permission bits the reader accepts, when it checks them; otherwise any mode it can read. */
  modes?: readonly number[];
  /** Where the rule was read (repository, version, path). */
  source: string;
}

export const IMAGE_SECRET_RULES: readonly ImageSecretRule[] = [
  {
    image: 'docker.elastic.co/elasticsearch/elasticsearch:',
    uid: 1000,
    // `stat -L -c '%a'` must print 400 or 600, else "must have file permissions 400 or 600" and exit 1.
    modes: [0o400, 0o600],
    source: 'elastic/elasticsearch distribution/src/bin/elasticsearch-env-from-file, sourced by distribution/docker/src/docker/bin/docker-entrypoint.sh (USER 1000:0)',
  },
  {
    dockerfile: 'elk/setup/Dockerfile',
    uid: 1000,
    source: 'elk/setup/Dockerfile USER node; nodejs/docker-node 24 bookworm-slim creates node with uid 1000; elk/setup/src/config.ts reads the file',
  },
  {
    image: 'docker.elastic.co/beats/heartbeat:',
    uid: 1000,
    source: 'elastic/beats dev-tools/packaging/templates/docker/Dockerfile.tmpl (useradd --uid 1000; USER); the entrypoint reads the file with bash',
  },
];

interface Grant {
  source: string;
  uid?: string;
  gid?: string;
  mode?: string | number;
}
interface ServiceModel {
  image?: string;
  build?: { dockerfile?: string };
  secrets?: (string | Grant)[];
}

const octal = (mode: number): string => `0${mode.toString(8)}`;

/** The file compose writes for a grant; a numeric mode is refused, since YAML and compose disagree on `0400`. */
export function fileFor(grant: string | Grant): SecretFile | string {
  if (typeof grant === 'string') return { uid: 0, gid: 0, mode: 0o444 };
  if (typeof grant.mode === 'number') return `mode ${grant.mode} is a YAML number; write it as a quoted octal string ("0400")`;
  return { uid: Number(grant.uid ?? 0), gid: Number(grant.gid ?? 0), mode: grant.mode === undefined ? 0o444 : parseInt(grant.mode, 8) };
}

export function readableBy(file: SecretFile, uid: number): boolean {
  return file.uid === uid ? (file.mode & 0o400) !== 0 : (file.mode & 0o004) !== 0;
}

export const ruleFor = (service: ServiceModel): ImageSecretRule | undefined =>
  IMAGE_SECRET_RULES.find((r) => (r.image !== undefined && service.image?.startsWith(r.image)) || (r.dockerfile !== undefined && service.build?.dockerfile === r.dockerfile));

/** Why one grant breaks its image's rule, or undefined when it holds. */
export function grantProblem(name: string, service: ServiceModel, grant: string | Grant): string | undefined {
  const secret = typeof grant === 'string' ? grant : grant.source;
  const rule = ruleFor(service);
  if (!rule) return `${name} is granted the secret ${secret}, but no rule says how its image reads a secret file`;
  const file = fileFor(grant);
  if (typeof file === 'string') return `${name}'s grant of ${secret}: ${file}`;
  const seen = `uid ${file.uid}, mode ${octal(file.mode)}`;
  if (!readableBy(file, rule.uid)) return `${name} cannot read the secret ${secret} (${seen}): its image reads it as uid ${rule.uid}`;
  if (rule.modes && !rule.modes.includes(file.mode)) return `${name} refuses the secret ${secret} (${seen}): its image accepts mode ${rule.modes.map(octal).join(' or ')} only`;
  return undefined;
}

/** Every grant in a compose file that breaks its image's rule, one line each. */
export function secretFileProblems(composeText: string): string[] {
  const model = parse(composeText, { merge: true }) as { services?: Record<string, ServiceModel> };
  return Object.entries(model.services ?? {}).flatMap(([name, service]) =>
    (service.secrets ?? []).map((grant) => grantProblem(name, service, grant)).filter((p): p is string => p !== undefined),
  );
}

/** Refuses a commit whose compose.yaml grants a secret its image would refuse, before anything ships. */
export async function assertSecretFiles(git: GitRunner, sha: string): Promise<void> {
  const [problem] = secretFileProblems(await git(['show', `${sha}:${COMPOSE_FILE_IN_REPO}`]));
  if (problem) {
    throw new OperatorError(
      `${COMPOSE_FILE_IN_REPO}: ${problem}.`,
      'Grant it in the long syntax with the uid and mode its image accepts (`source:`, `uid: "1000"`, `mode: "0400"`; compose/README.md, Data), commit, and run the command again.',
    );
  }
}
