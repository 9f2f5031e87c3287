// Continuous load against the edge from loopback: clients that keep one connection alive and clients that
// open a new connection for every request, each listing (GET) and, unless asked for lists only, creating
// (POST) in turn. Every answer other than the expected status, and every connection error, is recorded.
// It stops by itself at `limitMs`.
import { request as httpsRequest, Agent } from 'node:https';

export interface Failure {
  client: string;
  method: string;
  /** The status received, or the connection error. */
  outcome: string;
  atMs: number;
}

export interface LoadReport {
  requests: number;
  byClient: Record<string, number>;
  failures: Failure[];
}

export interface LoadOptions {
  /** https://127.0.0.1:<port> */
  origin: string;
  /** PEM roots the client trusts. */
  ca: string;
  keepAliveClients: number;
  newConnectionClients: number;
  limitMs: number;
  /** Lists only (GET), or lists and creates (GET and POST); default both. */
  methods?: 'GET' | 'GET and POST';
  /** The Authorization header of each create (the app's write password). */
  authorization?: string;
}

interface Exchange {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  expect: number;
}

const list: Exchange = { method: 'GET', path: '/api/medications?limit=5', expect: 200 };
const create = (n: number): Exchange => ({ method: 'POST', path: '/api/medications', body: JSON.stringify({ name: `load ${n}`, strength: 5, unit: 'mg', form: 'tablet' }), expect: 201 });

function send(origin: string, ca: string, agent: Agent | false, x: Exchange, authorization?: string): Promise<string> {
  const url = new URL(x.path, origin);
  return new Promise((resolve) => {
    const headers: Record<string, string> = x.body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(x.body)) } : {};
    if (agent === false) headers.connection = 'close';
    if (authorization && x.method === 'POST') headers.authorization = authorization;
    const req = httpsRequest(url, { method: x.method, agent, ca, headers, timeout: 60_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', (err) => resolve(`response error: ${err.message}`));
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 60 s')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(`error: ${err.code ?? err.message}`));
    req.end(x.body);
  });
}

export function startLoad(options: LoadOptions): { stop(): Promise<LoadReport> } {
  const started = Date.now();
  let stopping = false;
  const report: LoadReport = { requests: 0, byClient: {}, failures: [] };
  const deadline = setTimeout(() => (stopping = true), options.limitMs);

  const client = async (name: string, agent: Agent | false) => {
    report.byClient[name] = 0;
    for (let n = 0; !stopping; n++) {
      for (const x of options.methods === 'GET' ? [list] : [list, create(n)]) {
        const outcome = await send(options.origin, options.ca, agent, x, options.authorization);
        report.requests++;
        report.byClient[name]!++;
        if (outcome !== String(x.expect)) report.failures.push({ client: name, method: x.method, outcome, atMs: Date.now() - started });
      }
    }
    if (agent) agent.destroy();
  };
  const clients = [
    ...Array.from({ length: options.keepAliveClients }, (_, i) => client(`keep-alive-${i + 1}`, new Agent({ keepAlive: true, maxSockets: 1, ca: options.ca }))),
    ...Array.from({ length: options.newConnectionClients }, (_, i) => client(`new-connection-${i + 1}`, false)),
  ];
  return {
    async stop() {
      stopping = true;
      clearTimeout(deadline);
      await Promise.all(clients);
      return report;
    },
  };
}
