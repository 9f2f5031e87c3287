// An Elasticsearch-shaped HTTP server for the alert engine's tests: answers GET / as a 9.5 node, searches over a
// data set with the query clauses the rules use (bool, term, terms, range, exists, match_all) and the `filters`
// aggregation percentage_match sends, and the writeback calls (index exists, documents written). A clause it does
// not know is a 400, as a real node answers a malformed query: a rule the fake cannot evaluate fails the test.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredDoc {
  index: string;
  source: Record<string, unknown>;
}

type Query = Record<string, unknown>;

class BadQuery extends Error {}

/** A dotted path through nested objects, or a key that holds the dots itself, as Elasticsearch reads _source. */
const field = (doc: Record<string, unknown>, path: string): unknown => {
  if (path in doc) return doc[path];
  const parts = path.split('.');
  for (let i = 1; i < parts.length; i++) {
    const inner = doc[parts.slice(0, i).join('.')];
    if (inner && typeof inner === 'object') {
      const value = field(inner as Record<string, unknown>, parts.slice(i).join('.'));
      if (value !== undefined) return value;
    }
  }
  return undefined;
};

const comparable = (v: unknown): number => (typeof v === 'number' ? v : Date.parse(String(v)));
const list = (v: unknown): Query[] => (v === undefined ? [] : Array.isArray(v) ? (v as Query[]) : [v as Query]);

function matches(doc: Record<string, unknown>, q: Query): boolean {
  const [kind, body] = Object.entries(q)[0] ?? [];
  switch (kind) {
    case 'match_all':
      return true;
    case 'bool': {
      const b = body as Record<string, unknown>;
      const known = ['must', 'filter', 'must_not', 'should'];
      for (const k of Object.keys(b)) if (!known.includes(k)) throw new BadQuery(`bool.${k}`);
      const all = [...list(b['must']), ...list(b['filter'])].every((c) => matches(doc, c));
      const none = list(b['must_not']).every((c) => !matches(doc, c));
      const should = list(b['should']);
      return all && none && (should.length === 0 || should.some((c) => matches(doc, c)));
    }
    case 'term': {
      const [path, raw] = Object.entries(body as Record<string, unknown>)[0] ?? [];
      const expected = raw && typeof raw === 'object' ? (raw as { value: unknown }).value : raw;
      return field(doc, path ?? '') === expected;
    }
    case 'terms': {
      const [path, values] = Object.entries(body as Record<string, unknown>)[0] ?? [];
      return (values as unknown[]).includes(field(doc, path ?? ''));
    }
    case 'exists':
      return field(doc, (body as { field: string }).field) !== undefined;
    case 'range': {
      const [path, bounds] = Object.entries(body as Record<string, Record<string, unknown>>)[0] ?? [];
      const value = field(doc, path ?? '');
      if (value === undefined) return false;
      const v = comparable(value);
      const b = bounds ?? {};
      for (const k of Object.keys(b)) if (!['gt', 'gte', 'lt', 'lte', 'format'].includes(k)) throw new BadQuery(`range.${k}`);
      return (
        (b['gt'] === undefined || v > comparable(b['gt'])) &&
        (b['gte'] === undefined || v >= comparable(b['gte'])) &&
        (b['lt'] === undefined || v < comparable(b['lt'])) &&
        (b['lte'] === undefined || v <= comparable(b['lte']))
      );
    }
    default:
      throw new BadQuery(String(kind));
  }
}

const glob = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

function aggregate(hits: StoredDoc[], aggs: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, agg] of Object.entries(aggs)) {
    const filters = agg['filters'] as { filters: Record<string, Query>; other_bucket?: boolean } | undefined;
    if (!filters) throw new BadQuery(`aggregation ${Object.keys(agg).join()}`);
    const buckets: Record<string, { doc_count: number }> = {};
    const matched = new Set<StoredDoc>();
    for (const [key, q] of Object.entries(filters.filters)) {
      const inBucket = hits.filter((h) => matches(h.source, q));
      inBucket.forEach((h) => matched.add(h));
      buckets[key] = { doc_count: inBucket.length };
    }
    if (filters.other_bucket) buckets['_other_'] = { doc_count: hits.filter((h) => !matched.has(h)).length };
    out[name] = { buckets };
  }
  return out;
}

export interface FakeElasticsearch {
  url: string;
  port: number;
  /** Every request, `METHOD path`, in order. */
  requests: string[];
  /** Each distinct Authorization header the requests carried. */
  authorizations: Set<string>;
  /** Documents the engine wrote (its writeback), by index. */
  written: StoredDoc[];
  close: () => Promise<void>;
}

export async function startFakeElasticsearch(data: StoredDoc[]): Promise<FakeElasticsearch> {
  const requests: string[] = [];
  const written: StoredDoc[] = [];
  const authorizations = new Set<string>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = decodeURIComponent(url.pathname);
      requests.push(`${req.method} ${path}`);
      authorizations.add(req.headers.authorization ?? '(none)');
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
      };
      try {
        if (path === '/' && req.method === 'GET') {
          return reply(200, { name: 'es01', cluster_name: 'docker-cluster', version: { number: '9.5.6', build_flavor: 'default', lucene_version: '10.3.0' }, tagline: 'You Know, for Search' });
        }
        const search = /^\/([^/]+)(?:\/_doc)?\/_search$/.exec(path);
        if (search) {
          const index = search[1] ?? '';
          const body = (raw ? JSON.parse(raw) : {}) as { query?: Query; size?: number; aggs?: Record<string, Record<string, unknown>> };
          const patterns = index.split(',').map(glob);
          const pool = index.startsWith('elastalert') ? [] : data.filter((d) => patterns.some((p) => p.test(d.index)));
          const hits = pool.filter((d) => matches(d.source, body.query ?? { match_all: {} }));
          hits.sort((a, b) => comparable(a.source['@timestamp']) - comparable(b.source['@timestamp']));
          const size = Number(url.searchParams.get('size') ?? body.size ?? 10);
          return reply(200, {
            took: 1,
            timed_out: false,
            _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
            hits: {
              total: { value: hits.length, relation: 'eq' },
              max_score: null,
              hits: hits.slice(0, size).map((h, i) => ({ _index: h.index, _id: `${h.index}-${i}`, _score: null, _source: h.source, sort: [comparable(h.source['@timestamp'])] })),
            },
            ...(body.aggs ? { aggregations: aggregate(hits, body.aggs) } : {}),
          });
        }
        if (req.method === 'HEAD') return reply(200, {});
        const doc = /^\/([^/]+)\/_doc\/?([^/]*)$/.exec(path);
        if (doc && (req.method === 'POST' || req.method === 'PUT')) {
          written.push({ index: doc[1] ?? '', source: JSON.parse(raw) as Record<string, unknown> });
          return reply(201, { _index: doc[1], _id: String(written.length), result: 'created', _version: 1 });
        }
        return reply(400, { error: { type: 'illegal_argument_exception', reason: `the fake does not answer ${req.method} ${path}` }, status: 400 });
      } catch (err) {
        if (err instanceof BadQuery) return reply(400, { error: { type: 'parsing_exception', reason: `unknown query clause [${err.message}]` }, status: 400 });
        throw err;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, requests, authorizations, written, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
