// The compose secrets the stack grants, checked against the rule of the image that reads each file.
//
// What a container sees depends on the secret's kind (docker/compose v5.1.0):
// - `file:` is a read-only bind mount of the host file (pkg/compose/create.go, buildContainerSecretMounts): the host
//   file's owner and mode pass through, and the grant's `uid`, `gid` and `mode` are ignored with a warning.
// - `environment:` is copied in at start (pkg/compose/secrets.go): a tar entry owned by root, mode 0444 unless the
//   grant sets one; a grant with `uid` or `gid` sets CopyUIDGID, and then the engine chowns the file to the
//   container's USER. Docker Engine before 28 resolves that USER by name only (moby v25.0.16
//   daemon/archive_tarcopyoptions_unix.go → idtools.LookupUser; `uid:gid` parsing came with f658ea3152 in v28.0.0),
//   so an image whose USER is `1000:0` fails the copy, and `up` fails, on every start.
// The box runs AL2023's docker 25.0.x, so the elastic password is a `file:` secret written by fetch-secrets.sh.
import { parse } from 'yaml';
import type { GitRunner } from '../core/git.js';
import { OperatorError } from '../core/operator-error.js';
import { ELASTIC_PASSWORD_FILE } from './layout.js';

/** The compose file as the repository holds it (the box's copy comes from the same commit). */
/** The stack's compose file, as a path in the repository (what `git show <sha>:` reads). */
export const COMPOSE_FILE_IN_REPO = 'compose/compose.yaml';

/** The Docker Engine major version on the box: AL2023's docker package is 25.0.x. */
export const BOX_ENGINE_MAJOR = 25;
/** The first engine that parses a numeric `uid:gid` USER when it chowns a copied file (moby f658ea3152). */
const ENGINE_PARSES_NUMERIC_USER = 28;

/** A file as a reader in the container sees it. */
export interface SecretFile {
  uid: number;
  gid: number;
  mode: number;
}

/** A host file compose bind-mounts as a secret, with the owner and mode the box writes it with. */
export interface HostSecretFile extends SecretFile {
  path: string;
}

/**
 * The secret files the box writes (cloud-init/fetch-secrets.sh, through `install -o -g -m` with these values rendered
 * in): owned by the uid the Elastic images run as, in the narrowest mode Elasticsearch's entrypoint accepts.
 */
export const HOST_SECRET_FILES: readonly HostSecretFile[] = [{ path: ELASTIC_PASSWORD_FILE, uid: 1000, gid: 0, mode: 0o400 }];

/** How an image reads a secret file: the user it runs as, and what it refuses. */
export interface ImageSecretRule {
  /** What the rule applies to: an image reference prefix, or the Dockerfile a service builds. */
  image?: string;
  dockerfile?: string;
  /** The image's USER as written: a name, or `uid:gid` (which Docker before 28 cannot chown a copied file to). */
  user: string;
  /** The uid that USER is, whose process reads the file. */
  uid: number;
  /** Permission bits the reader accepts, when it checks them; otherwise any mode it can read. */
  modes?: readonly number[];
  /** Where the rule was read (repository, version, path). */
  source: string;
}

const ELASTICSEARCH_RULE: ImageSecretRule = {
  image: 'docker.elastic.co/elasticsearch/elasticsearch:',
  user: '1000:0',
  uid: 1000,
  // `stat -L -c '%a'` must print 400 or 600, else "must have file permissions 400 or 600" and exit 1.
  modes: [0o400, 0o600],
  source: 'elastic/elasticsearch distribution/src/bin/elasticsearch-env-from-file, sourced by distribution/docker/src/docker/bin/docker-entrypoint.sh; USER 1000:0 (distribution/docker/src/docker/Dockerfile; the image history in docker-library/repo-info repos/elasticsearch)',
};

export const IMAGE_SECRET_RULES: readonly ImageSecretRule[] = [
  ELASTICSEARCH_RULE,
  {
    dockerfile: 'elk/setup/Dockerfile',
    user: 'node',
    uid: 1000,
    source: 'elk/setup/Dockerfile USER node; nodejs/docker-node 24 bookworm-slim creates node with uid 1000; elk/setup/src/config.ts reads the file',
  },
  {
    image: 'docker.elastic.co/beats/heartbeat:',
    user: 'heartbeat',
    uid: 1000,
    source: 'elastic/beats dev-tools/packaging/templates/docker/Dockerfile.tmpl (useradd --uid 1000; USER {{ .user }}); the entrypoint reads the file with bash',
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
interface SecretDefinition {
  file?: string;
  environment?: string;
}
interface ComposeModel {
  services?: Record<string, ServiceModel>;
  secrets?: Record<string, SecretDefinition>;
}

const octal = (mode: number): string => `0${mode.toString(8)}`;
const asGrant = (grant: string | Grant): Grant => (typeof grant === 'string' ? { source: grant } : grant);

/** The path compose mounts on the box: a `${NAME:-default}` takes its default (the box sets no override). */
export const boxPath = (file: string): string => file.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g, '$1');

/** A grant's `mode` as compose reads it: a quoted string is octal (compose-go v2.10.1 types/types.go FileMode). */
function grantMode(grant: Grant): number | string {
  if (grant.mode === undefined) return 0o444;
  if (typeof grant.mode === 'number') return `mode ${grant.mode} is a YAML number; write it as a quoted octal string ("0400")`;
  return parseInt(grant.mode, 8);
}

/** The file a reader sees for one grant, or why there is none. */
export function fileFor(
  grant: string | Grant,
  definition: SecretDefinition,
  rule: ImageSecretRule,
  hostFiles: readonly HostSecretFile[] = HOST_SECRET_FILES,
  engineMajor: number = BOX_ENGINE_MAJOR,
): SecretFile | string {
  const g = asGrant(grant);
  if (definition.file !== undefined) {
    if (g.uid !== undefined || g.gid !== undefined || g.mode !== undefined) {
      return 'compose ignores uid, gid and mode on a file secret (the host file\'s owner and mode apply); remove them';
    }
    const path = boxPath(definition.file);
    const host = hostFiles.find((f) => f.path === path);
    if (!host) return `no box script writes ${path}`;
    return { uid: host.uid, gid: host.gid, mode: host.mode };
  }
  const mode = grantMode(g);
  if (typeof mode === 'string') return mode;
  if (g.uid === undefined && g.gid === undefined) return { uid: 0, gid: 0, mode };
  if (engineMajor < ENGINE_PARSES_NUMERIC_USER && /^\d+(:\d+)?$/.test(rule.user)) {
    return `uid/gid on an environment secret makes Docker ${engineMajor} look up the image's USER "${rule.user}" by name, which fails; use a file secret`;
  }
  return { uid: rule.uid, gid: Number(g.gid ?? 0), mode };
}

export function readableBy(file: SecretFile, uid: number): boolean {
  return file.uid === uid ? (file.mode & 0o400) !== 0 : (file.mode & 0o004) !== 0;
}

export const ruleFor = (service: ServiceModel): ImageSecretRule | undefined =>
  IMAGE_SECRET_RULES.find((r) => (r.image !== undefined && service.image?.startsWith(r.image)) || (r.dockerfile !== undefined && service.build?.dockerfile === r.dockerfile));

/** Why one grant breaks its image's rule, or undefined when it holds. */
export function grantProblem(
  name: string,
  service: ServiceModel,
  grant: string | Grant,
  definition: SecretDefinition,
  hostFiles: readonly HostSecretFile[] = HOST_SECRET_FILES,
  engineMajor: number = BOX_ENGINE_MAJOR,
): string | undefined {
  const secret = asGrant(grant).source;
  const rule = ruleFor(service);
  if (!rule) return `${name} is granted the secret ${secret}, but no rule says how its image reads a secret file`;
  const file = fileFor(grant, definition, rule, hostFiles, engineMajor);
  if (typeof file === 'string') return `${name}'s grant of ${secret}: ${file}`;
  const seen = `uid ${file.uid}, mode ${octal(file.mode)}`;
  if (!readableBy(file, rule.uid)) return `${name} cannot read the secret ${secret} (${seen}): its image reads it as uid ${rule.uid}`;
  if (rule.modes && !rule.modes.includes(file.mode)) return `${name} refuses the secret ${secret} (${seen}): its image accepts mode ${rule.modes.map(octal).join(' or ')} only`;
  return undefined;
}

/** Every grant in a compose file that breaks its image's rule, one line each. */
export function secretFileProblems(composeText: string, hostFiles: readonly HostSecretFile[] = HOST_SECRET_FILES, engineMajor: number = BOX_ENGINE_MAJOR): string[] {
  const model = parse(composeText, { merge: true }) as ComposeModel;
  return Object.entries(model.services ?? {}).flatMap(([name, service]) =>
    (service.secrets ?? [])
      .map((grant) => grantProblem(name, service, grant, model.secrets?.[asGrant(grant).source] ?? {}, hostFiles, engineMajor))
      .filter((p): p is string => p !== undefined),
  );
}

/** Refuses a commit whose compose.yaml grants a secret its image would refuse, before anything ships. */
export async function assertSecretFiles(git: GitRunner, sha: string): Promise<void> {
  const [problem] = secretFileProblems(await git(['show', `${sha}:${COMPOSE_FILE_IN_REPO}`]));
  if (problem) {
    throw new OperatorError(
      `${COMPOSE_FILE_IN_REPO}: ${problem}.`,
      `Grant the secret as a \`file:\` secret that the box writes (scripts/lib/box/secret-files.ts HOST_SECRET_FILES; compose/README.md, Data), commit, and run the command again.`,
    );
  }
}

/** The values cloud-init's scripts write and check the secret files with, by placeholder name. */
export function secretFilePlaceholders(): Record<string, string> {
  const [elastic] = HOST_SECRET_FILES;
  if (!elastic) throw new Error('HOST_SECRET_FILES is empty');
  return {
    ELASTIC_PASSWORD_UID: String(elastic.uid),
    ELASTIC_PASSWORD_GID: String(elastic.gid),
    ELASTIC_PASSWORD_MODE: octal(elastic.mode),
    // A `case` pattern of every owner and mode the readers accept (`stat -c '%u %a'`).
    ELASTIC_PASSWORD_ACCEPTED: (ELASTICSEARCH_RULE.modes ?? [elastic.mode]).map((m) => `'${elastic.uid} ${m.toString(8)}'`).join('|'),
  };
}
