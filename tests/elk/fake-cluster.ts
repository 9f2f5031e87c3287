// A small stateful Elasticsearch behind @elastic/elasticsearch-mock: enough of the security, ILM,
// component template and data stream APIs for the setup job, with faults that tests can switch on.
import { Client as EsmClient, errors } from '@elastic/elasticsearch';
import type { Client } from '@elastic/elasticsearch' with { 'resolution-mode': 'require' };
import MockModule from '@elastic/elasticsearch-mock';

// The mock is CommonJS (`module.exports = ClientMock`); its typings describe an ES default export.
const Mock = MockModule as unknown as typeof MockModule.default;

export interface FakeStream {
  name: string;
  indices: { index_name: string; ilm_policy?: string; prefer_ilm?: boolean }[];
}

export interface FakeCluster {
  client: Client;
  verify: (username: string, password: string) => Promise<boolean>;
  roles: Map<string, Record<string, unknown>>;
  users: Map<string, { roles: string[]; enabled: boolean; password: string }>;
  builtinPasswords: Map<string, string>;
  policies: Map<string, Record<string, unknown>>;
  templates: Map<string, Record<string, unknown>>;
  /** Composable index templates (PUT _index_template), by name. */
  indexTemplates: Map<string, Record<string, unknown>>;
  streams: FakeStream[];
  /** Concrete indices (data stream backing indices included) with their index.number_of_replicas. */
  replicas: Map<string, string>;
  /** Every write request, as "METHOD path". */
  writes: string[];
  health: 'green' | 'red' | 'unreachable' | 'unauthorized';
  /** Paths whose writes fail with HTTP 500, to simulate a run that dies half-way. */
  failingWrites: Set<string>;
}

/**
 * The built-in component templates Elasticsearch's StackTemplateRegistry installs by itself, some time after the
 * cluster answers (on a cluster-state change once the node is master); until then they answer 404.
 */
export const STACK_COMPONENT_TEMPLATES = ['logs@mappings', 'logs@settings', 'ecs@mappings'] as const;
const STACK_TEMPLATES_DELAY_MS = 40;

const notFound = () =>
  new errors.ResponseError({ body: { error: 'not found' }, statusCode: 404, headers: {}, warnings: null, meta: {} as never });

const lastSegment = (path: string, fromEnd = 0) => decodeURIComponent(path.split('/').filter(Boolean).at(-1 - fromEnd) ?? '');

interface FakeClusterInit extends Partial<Pick<FakeCluster, 'streams' | 'health' | 'replicas'>> {
  /** When the stack's component templates appear, after the fake is made (Infinity: never). */
  stackTemplatesAfterMs?: number;
}

export function aFakeCluster(init: FakeClusterInit = {}): FakeCluster {
  const mock = new Mock();
  const stackTemplatesAt = Date.now() + (init.stackTemplatesAfterMs ?? STACK_TEMPLATES_DELAY_MS);
  const componentTemplate = (name: string): Record<string, unknown> | undefined =>
    fake.templates.get(name) ??
    ((STACK_COMPONENT_TEMPLATES as readonly string[]).includes(name) && Date.now() >= stackTemplatesAt ? { template: {}, _meta: { managed: true } } : undefined);
  const fake: FakeCluster = {
    // Same runtime class as the setup job's CommonJS import; only the ESM and CJS typings differ.
    client: new EsmClient({ node: 'http://fake-es:9200', Connection: mock.getConnection() as never, maxRetries: 0 }) as unknown as Client,
    verify: async (u, p) => fake.users.get(u)?.password === p || fake.builtinPasswords.get(u) === p,
    roles: new Map(),
    users: new Map(),
    builtinPasswords: new Map([['kibana_system', 'bootstrap-default']]),
    policies: new Map(),
    templates: new Map(),
    indexTemplates: new Map(),
    streams: init.streams ?? [],
    replicas: init.replicas ?? new Map(),
    writes: [],
    health: init.health ?? 'green',
    failingWrites: new Set(),
  };
  // The mock hands a returned ResponseError back to the client as that HTTP error.
  const write = (params: { method: string; path: string }, apply: () => Record<string, unknown>): Record<string, unknown> => {
    fake.writes.push(`${params.method} ${params.path}`);
    if (fake.failingWrites.has(params.path)) {
      return new errors.ResponseError({ body: { error: 'boom' }, statusCode: 500, headers: {}, warnings: null, meta: {} as never }) as never;
    }
    return apply();
  };

  mock.add({ method: 'GET', path: '/_cluster/health' }, () => {
    if (fake.health === 'unreachable') return new errors.ConnectionError('connect ECONNREFUSED 10.0.0.2:9200');
    if (fake.health === 'unauthorized') {
      return new errors.ResponseError({ body: { error: 'unauthorized' }, statusCode: 401, headers: {}, warnings: null, meta: {} as never });
    }
    return { status: fake.health, timed_out: false };
  });

  mock.add({ method: 'GET', path: '/_security/role/:name' }, (p) => {
    const name = lastSegment(p.path as string);
    const role = fake.roles.get(name);
    return role ? { [name]: { ...role, applications: [], run_as: [], transient_metadata: { enabled: true } } } : notFound();
  });
  mock.add({ method: ['PUT', 'POST'], path: '/_security/role/:name' }, (p) =>
    write(p as { method: string; path: string }, () => {
      const name = lastSegment(p.path as string);
      const created = !fake.roles.has(name);
      fake.roles.set(name, p.body as Record<string, unknown>);
      return { role: { created } };
    }),
  );

  mock.add({ method: 'GET', path: '/_security/user/:name' }, (p) => {
    const name = lastSegment(p.path as string);
    const user = fake.users.get(name);
    return user ? { [name]: { username: name, roles: user.roles, enabled: user.enabled, metadata: {} } } : notFound();
  });
  mock.add({ method: ['PUT', 'POST'], path: '/_security/user/:name' }, (p) =>
    write(p as { method: string; path: string }, () => {
      const name = lastSegment(p.path as string);
      const body = p.body as { roles: string[]; password: string; enabled?: boolean };
      const created = !fake.users.has(name);
      fake.users.set(name, { roles: body.roles, password: body.password, enabled: body.enabled ?? true });
      return { created };
    }),
  );
  mock.add({ method: ['PUT', 'POST'], path: '/_security/user/:name/_password' }, (p) =>
    write(p as { method: string; path: string }, () => {
      const name = lastSegment(p.path as string, 1);
      const { password } = p.body as { password: string };
      const user = fake.users.get(name);
      if (user) user.password = password;
      else fake.builtinPasswords.set(name, password);
      return {};
    }),
  );

  mock.add({ method: 'GET', path: '/_ilm/policy/:name' }, (p) => {
    const name = lastSegment(p.path as string);
    const policy = fake.policies.get(name);
    return policy ? { [name]: { version: 1, modified_date: '2026-01-01T00:00:00Z', policy } } : notFound();
  });
  mock.add({ method: 'PUT', path: '/_ilm/policy/:name' }, (p) =>
    write(p as { method: string; path: string }, () => {
      fake.policies.set(lastSegment(p.path as string), (p.body as { policy: Record<string, unknown> }).policy);
      return { acknowledged: true };
    }),
  );

  mock.add({ method: 'GET', path: '/_component_template/:name' }, (p) => {
    const name = lastSegment(p.path as string);
    const body = componentTemplate(name);
    return body ? { component_templates: [{ name, component_template: body }] } : notFound();
  });
  mock.add({ method: ['PUT', 'POST'], path: '/_component_template/:name' }, (p) =>
    write(p as { method: string; path: string }, () => {
      fake.templates.set(lastSegment(p.path as string), p.body as Record<string, unknown>);
      return { acknowledged: true };
    }),
  );

  mock.add({ method: 'GET', path: '/_index_template/:name' }, (p) => {
    const name = lastSegment(p.path as string);
    const body = fake.indexTemplates.get(name);
    return body ? { index_templates: [{ name, index_template: body }] } : notFound();
  });
  mock.add({ method: ['PUT', 'POST'], path: '/_index_template/:name' }, (p) =>
    write(p as { method: string; path: string }, () => {
      const body = p.body as { index_patterns?: string[]; composed_of?: string[] };
      // Elasticsearch refuses a template without patterns, or composed of component templates it does not hold.
      if (!body.index_patterns?.length) {
        return new errors.ResponseError({ body: { error: 'index_patterns missing' }, statusCode: 400, headers: {}, warnings: null, meta: {} as never }) as never;
      }
      const missing = (body.composed_of ?? []).filter((name) => componentTemplate(name) === undefined);
      if (missing.length > 0) {
        const reason = `index template [${lastSegment(p.path as string)}] specifies component templates [${missing.join(', ')}] that do not exist`;
        return new errors.ResponseError({ body: { error: { type: 'invalid_index_template_exception', reason } }, statusCode: 400, headers: {}, warnings: null, meta: {} as never }) as never;
      }
      fake.indexTemplates.set(lastSegment(p.path as string), p.body as Record<string, unknown>);
      return { acknowledged: true };
    }),
  );

  mock.add({ method: 'GET', path: '/_data_stream/:name' }, () => ({ data_streams: fake.streams }));
  // Only the single-node patterns are ever asked for, so every known index matches.
  mock.add({ method: 'GET', path: '/:index/_settings/:name' }, () =>
    Object.fromEntries([...fake.replicas].map(([index, replicas]) => [index, { settings: { 'index.number_of_replicas': replicas } }])),
  );
  mock.add({ method: 'PUT', path: '/:index/_settings' }, (p) =>
    write(p as { method: string; path: string }, () => {
      const name = lastSegment(p.path as string, 1);
      const body = p.body as { index?: { lifecycle: { name: string; prefer_ilm: boolean } }; 'index.number_of_replicas'?: number };
      if (body['index.number_of_replicas'] !== undefined) fake.replicas.set(name, String(body['index.number_of_replicas']));
      const lifecycle = body.index?.lifecycle;
      for (const index of lifecycle ? (fake.streams.find((s) => s.name === name)?.indices ?? []) : []) {
        index.ilm_policy = lifecycle?.name;
        index.prefer_ilm = lifecycle?.prefer_ilm;
      }
      return { acknowledged: true };
    }),
  );
  return fake;
}
