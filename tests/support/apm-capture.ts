// Stands in for APM Server: accepts the agent's intake stream and keeps every event for assertions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGunzip, createInflate } from 'node:zlib';

export interface ApmEvent {
  metadata?: { service?: { name?: string; node?: { configured_name?: string } } };
  transaction?: { name: string; type: string; trace_id: string; id: string; result?: string; sampled?: boolean; sample_rate?: number };
  span?: { name: string; type: string; subtype?: string; transaction_id: string; context?: { db?: { statement?: string } } };
  error?: unknown;
  metricset?: unknown;
}

export interface ApmCapture {
  url: string;
  events: ApmEvent[];
  /** Compressed bytes received on the intake endpoint. */
  intakeBytes: number;
  /** Requests of any kind the agent made (intake, config polling, server info). */
  requests: number;
  /** Times the agent asked for the server version (GET /). */
  versionProbes: number;
  transactions(): NonNullable<ApmEvent['transaction']>[];
  spans(): NonNullable<ApmEvent['span']>[];
  close(): Promise<void>;
}

function decoded(req: IncomingMessage): NodeJS.ReadableStream {
  const encoding = req.headers['content-encoding'];
  if (encoding === 'gzip') return req.pipe(createGunzip());
  if (encoding === 'deflate') return req.pipe(createInflate());
  return req;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of decoded(req)) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const SERVER_INFO = JSON.stringify({
  build_date: '2026-10-28T09:12:44Z',
  build_sha: '0d7e2f3a9c41b6e58f0a1d2c3b4e5f60718293a4',
  publish_ready: true,
  version: '9.5.6',
});

/**
 * Listens on an ephemeral port unless given one (8200 is the agent's default server URL).
 * `keepEvents: false` only counts intake bytes, so a benchmark measures the agent, not this parser.
 */
export async function startApmCapture(port = 0, { keepEvents = true } = {}): Promise<ApmCapture> {
  const events: ApmEvent[] = [];
  const capture = { requests: 0, intakeBytes: 0, versionProbes: 0 };
  const server: Server = createServer((req, res) => {
    // An agent killed mid-request aborts its stream; that is not a failure of the capture.
    handle(req, res).catch(() => res.destroy());
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    capture.requests++;
    if (req.url?.startsWith('/intake/v2/events')) {
      if (keepEvents) {
        const body = await readBody(req);
        for (const line of body.split('\n')) if (line.trim()) events.push(JSON.parse(line) as ApmEvent);
      } else {
        for await (const chunk of req) capture.intakeBytes += (chunk as Buffer).length;
      }
      res.writeHead(202).end();
      return;
    }
    await readBody(req);
    if (req.url?.startsWith('/config/v1/agents')) {
      res.writeHead(200, { 'content-type': 'application/json', etag: '"1"' }).end('{}');
    } else if (req.method === 'GET' && req.url === '/') {
      // The server information endpoint as APM Server 9.5 answers it. The agent reads `version`:
      // from 8.0 on it drops unsampled transactions instead of sending them.
      capture.versionProbes++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(SERVER_INFO);
    } else {
      res.writeHead(404).end();
    }
  };
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    events,
    get requests() {
      return capture.requests;
    },
    get intakeBytes() {
      return capture.intakeBytes;
    },
    get versionProbes() {
      return capture.versionProbes;
    },
    transactions: () => events.flatMap((e) => (e.transaction ? [e.transaction] : [])),
    spans: () => events.flatMap((e) => (e.span ? [e.span] : [])),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
