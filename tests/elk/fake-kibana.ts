// A stateful stand-in for the few Kibana HTTP endpoints the setup job calls, behind an injected fetch.
import type { Fetch } from '../../elk/setup/src/kibana.js';

export interface FakeKibana {
  fetch: Fetch;
  settings: Record<string, unknown>;
  dataViews: Map<string, Record<string, unknown>>;
  writes: string[];
  state: 'available' | 'degraded' | 'unavailable' | 'unreachable' | 'unauthorized';
}

export function aFakeKibana(state: FakeKibana['state'] = 'available'): FakeKibana {
  const fake: FakeKibana = {
    settings: {},
    dataViews: new Map(),
    writes: [],
    state,
    fetch: async (url, init) => {
      if (fake.state === 'unreachable') throw new TypeError('fetch failed');
      const reply = (status: number, body: unknown) => ({ status, json: async () => body });
      if (fake.state === 'unauthorized') return reply(401, { message: 'Unauthorized' });
      if (init.headers['kbn-xsrf'] === undefined) return reply(400, { message: 'missing kbn-xsrf' });
      const path = new URL(url).pathname;
      const body: unknown = init.body === undefined ? undefined : JSON.parse(init.body);
      // As Kibana's status route: 200 unless the core services are unavailable (degraded still answers 200).
      if (path === '/api/status') return reply(fake.state === 'unavailable' ? 503 : 200, { status: { overall: { level: fake.state } } });
      if (init.method !== 'GET') fake.writes.push(`${init.method} ${path}`);
      if (path === '/api/kibana/settings' && init.method === 'GET') {
        return reply(200, { settings: Object.fromEntries(Object.entries(fake.settings).map(([k, v]) => [k, { userValue: v }])) });
      }
      if (path === '/api/kibana/settings') {
        Object.assign(fake.settings, (body as { changes: Record<string, unknown> }).changes);
        return reply(200, {});
      }
      if (path === '/api/data_views/data_view' && init.method === 'POST') {
        const view = (body as { data_view: { id: string } }).data_view;
        fake.dataViews.set(view.id, { ...view });
        return reply(200, { data_view: view });
      }
      const id = path.match(/^\/api\/data_views\/data_view\/(.+)$/)?.[1];
      if (id !== undefined && init.method === 'GET') {
        const view = fake.dataViews.get(id);
        return view ? reply(200, { data_view: view }) : reply(404, { message: 'not found' });
      }
      if (id !== undefined) {
        fake.dataViews.set(id, { ...fake.dataViews.get(id), ...(body as { data_view: object }).data_view });
        return reply(200, {});
      }
      return reply(404, { message: `no route ${path}` });
    },
  };
  return fake;
}
