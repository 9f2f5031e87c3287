// The processors elk/filebeat/filebeat.yml uses, reproduced from libbeat's documented behaviour so sample log lines
// can go through the configured chain here (no Filebeat binary on this machine). Anything the file uses that is not
// reproduced below throws, so a new processor or condition cannot slip past the tests unexercised.
// Sources (elastic/beats, libbeat): processors/actions/decode_json_fields.go (target "" merges into the root,
// overwrite_keys, expand_keys, add_error_key), processors/actions/drop_fields.go, copy_fields.go, replace.go,
// conditions/{equals,has_fields,or}.go; the docker json-file reader (libbeat/reader/readjson/docker_json.go) takes
// the `log` member as the message; add_docker_metadata de-dots labels (labels.dedot defaults to true).

export type Event = Record<string, unknown>;
type Config = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function getPath(event: Event, path: string): unknown {
  if (path in event) return event[path];
  let node: unknown = event;
  for (const part of path.split('.')) {
    if (!isObject(node)) return undefined;
    node = node[part];
  }
  return node;
}

function putPath(event: Event, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = event;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(node[part])) node[part] = {};
    node = node[part] as Event;
  }
  node[parts.at(-1)!] = value;
}

function deletePath(event: Event, path: string): boolean {
  if (path in event) return delete event[path];
  const parts = path.split('.');
  let node: unknown = event;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(node)) return false;
    node = node[part];
  }
  if (!isObject(node) || !(parts.at(-1)! in node)) return false;
  return delete node[parts.at(-1)!];
}

/** Dotted keys become nested objects, as expand_keys does. */
function expand(value: Record<string, unknown>): Record<string, unknown> {
  const out: Event = {};
  for (const [key, v] of Object.entries(value)) putPath(out, key, isObject(v) ? expand(v) : v);
  return out;
}

function deepMerge(into: Event, from: Event, overwrite: boolean): void {
  for (const [key, v] of Object.entries(from)) {
    if (isObject(v) && isObject(into[key])) deepMerge(into[key] as Event, v, overwrite);
    else if (overwrite || !(key in into)) into[key] = v;
  }
}

function matches(event: Event, condition: Config): boolean {
  const [[kind, arg], ...rest] = Object.entries(condition) as [string, unknown][] as [[string, unknown], ...[string, unknown][]];
  if (rest.length > 0) throw new Error(`one condition per level is reproduced, got ${Object.keys(condition).join(', ')}`);
  switch (kind) {
    case 'equals':
      return Object.entries(arg as Config).every(([field, expected]) => getPath(event, field) === expected);
    case 'has_fields':
      return (arg as string[]).every((field) => getPath(event, field) !== undefined);
    case 'or':
      return (arg as Config[]).some((c) => matches(event, c));
    default:
      throw new Error(`condition ${kind} is not reproduced here`);
  }
}

/** Go's inline (?i) flag is the one regular-expression feature the file uses that JavaScript spells differently. */
function goRegExp(pattern: string): RegExp {
  const insensitive = pattern.startsWith('(?i)');
  return new RegExp(insensitive ? pattern.slice(4) : pattern, insensitive ? 'gi' : 'g');
}

function decodeJsonFields(event: Event, cfg: Config): void {
  for (const field of cfg['fields'] as string[]) {
    const raw = getPath(event, field);
    if (typeof raw !== 'string') continue;
    let decoded: unknown;
    try {
      decoded = JSON.parse(raw);
    } catch (err) {
      if (cfg['add_error_key'] === true) putPath(event, 'error.message', `cannot decode JSON: ${(err as Error).message}`);
      continue;
    }
    if (!isObject(decoded)) continue;
    const value = cfg['expand_keys'] === true ? expand(decoded) : decoded;
    const target = cfg['target'] as string | undefined;
    if (target === '') deepMerge(event, value, cfg['overwrite_keys'] === true);
    else putPath(event, target ?? field, value);
  }
}

const PROCESSORS: Record<string, (event: Event, cfg: Config, docker: DockerLabels) => void> = {
  add_docker_metadata: (event, _cfg, docker) => {
    const labels = docker[event['_containerId'] as string];
    if (labels) event['container'] = { labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k.replace(/\./g, '_'), v])) };
  },
  decode_json_fields: decodeJsonFields,
  drop_fields: (event, cfg) => {
    for (const field of cfg['fields'] as string[]) {
      if (!deletePath(event, field) && cfg['ignore_missing'] !== true && getPath(event, field) === undefined) throw new Error(`drop_fields: ${field} missing`);
    }
  },
  copy_fields: (event, cfg) => {
    for (const { from, to } of cfg['fields'] as { from: string; to: string }[]) {
      if (getPath(event, to) !== undefined) throw new Error(`copy_fields: target ${to} exists`);
      const value = getPath(event, from);
      if (value !== undefined) putPath(event, to, value);
    }
  },
  replace: (event, cfg) => {
    for (const { field, pattern, replacement } of cfg['fields'] as { field: string; pattern: string; replacement: string }[]) {
      const value = getPath(event, field);
      if (typeof value === 'string') putPath(event, field, value.replace(goRegExp(pattern), replacement));
      else if (value === undefined && cfg['ignore_missing'] !== true) throw new Error(`replace: ${field} missing`);
    }
  },
};

/** Container id → its labels as Docker reports them (compose sets com.docker.compose.service). */
export type DockerLabels = Record<string, Record<string, string>>;

/** One json-file line of a container through the configured processors; the returned event is what is shipped. */
export function runPipeline(processors: Config[], jsonFileLine: string, containerId: string, docker: DockerLabels): Event {
  const { log, stream } = JSON.parse(jsonFileLine) as { log: string; stream: string };
  const event: Event = { message: log.replace(/\n$/, ''), stream, _containerId: containerId };
  for (const entry of processors) {
    const [[name, raw]] = Object.entries(entry) as [[string, Config]];
    const { when, ...cfg } = raw;
    const run = PROCESSORS[name];
    if (!run) throw new Error(`processor ${name} is not reproduced here`);
    if (when !== undefined && !matches(event, when as Config)) continue;
    run(event, cfg, docker);
  }
  delete event['_containerId'];
  return event;
}
