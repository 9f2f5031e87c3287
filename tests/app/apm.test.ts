import { hostname } from 'node:os';
import { expect } from 'chai';
import { startApmCapture, type ApmCapture } from '../support/apm-capture.js';
import { startAppProcess, type AppProcess } from '../support/app-process.js';
import { freshDatabase } from '../support/postgres.js';

const until = async <T>(probe: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('APM', function () {
  this.timeout(60_000);
  let app: AppProcess | undefined;
  let capture: ApmCapture | undefined;
  afterEach(async () => {
    await app?.stop('SIGKILL');
    await capture?.close();
    app = capture = undefined;
  });

  it('sends a transaction named by route with a span for its SQL query, from a named worker node (every request traced)', async () => {
    capture = await startApmCapture();
    app = await startAppProcess({
      DATABASE_URL: await freshDatabase('apm'),
      WEB_CONCURRENCY: '1',
      ELASTIC_APM_SERVER_URL: capture.url,
      ELASTIC_APM_API_REQUEST_TIME: '1s',
      ELASTIC_APM_TRANSACTION_SAMPLE_RATE: '1',
    });
    const created = await fetch(`${app.url}/api/medications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Traced', strength: 1, unit: 'mg' }),
    });
    expect(created.status).to.equal(201);
    expect((await fetch(`${app.url}/api/medications?limit=5`)).status).to.equal(200);

    const list = await until(
      () => capture!.transactions().find((t) => t.name === 'GET /api/medications'),
      'the list transaction',
    );
    const create = await until(() => capture!.transactions().find((t) => t.name === 'POST /api/medications'), 'the create transaction');
    expect(list).to.include({ type: 'request', result: 'HTTP 2xx' });
    const sqlSpan = (transactionId: string, statement: RegExp) =>
      until(
        () => capture!.spans().find((s) => s.transaction_id === transactionId && s.type === 'db' && statement.test(s.context?.db?.statement ?? '')),
        `a span for ${statement}`,
      );
    const listSpan = await sqlSpan(list.id, /^SELECT .* FROM medications ORDER BY created_at DESC, id DESC LIMIT \$1$/);
    expect(listSpan.subtype).to.equal('postgresql');
    const createSpan = await sqlSpan(create.id, /^INSERT INTO medications /);
    expect(createSpan.subtype).to.equal('postgresql');

    const metadata = capture.events.find((e) => e.metadata)?.metadata;
    expect(metadata?.service?.name).to.equal('pillbox');
    expect(metadata?.service?.node?.configured_name).to.equal(`${hostname()}-worker-1`);

    const traced = app.logs.find((l) => l.message === 'POST /api/medications 201');
    expect(traced?.['trace.id'], 'request log carries the trace id').to.be.a('string');
  });

  it('traces one request in twenty by default: a sampled one whole, an unsampled one not at all (no trace id on its log line)', async () => {
    capture = await startApmCapture();
    app = await startAppProcess({
      DATABASE_URL: await freshDatabase('apmdefault'),
      WEB_CONCURRENCY: '1',
      ELASTIC_APM_SERVER_URL: capture.url,
      ELASTIC_APM_API_REQUEST_TIME: '1s',
    });
    // Until the agent knows the server is 8.0 or newer it keeps unsampled transactions (older servers stored them).
    await until(() => capture!.versionProbes || undefined, 'the version probe');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const requests = 600;
    for (let i = 0; i < requests; i++) expect((await fetch(`${app.url}/api/medications?limit=1`)).status).to.equal(200);
    const lines = await until(() => {
      const all = app!.logs.filter((l) => l.message === 'GET /api/medications 200');
      return all.length === requests ? all : undefined;
    }, 'every request log line');
    const tracedLines = lines.filter((l) => l['trace.id'] !== undefined);
    // Binomial(600, 0.05): 30 expected; outside 12..52 has a probability below one in ten thousand.
    expect(tracedLines.length).to.be.within(12, 52);
    const traced = new Set(tracedLines.map((l) => l['trace.id']));
    const transactions = await until(() => {
      const all = capture!.transactions().filter((t) => t.name === 'GET /api/medications');
      return all.length >= traced.size ? all : undefined;
    }, 'the sampled transactions');
    // Exactly the requests whose log line has a trace id were traced, each whole: sampled at 0.05, with its SQL span.
    expect(new Set(transactions.map((t) => t.trace_id))).to.deep.equal(traced);
    for (const t of transactions) expect(t).to.include({ sampled: true, sample_rate: 0.05, result: 'HTTP 2xx' });
    const withSpan = await until(() => {
      const ids = new Set(capture!.spans().filter((s) => s.type === 'db' && s.subtype === 'postgresql').map((s) => s.transaction_id));
      return transactions.every((t) => ids.has(t.id)) ? ids : undefined;
    }, 'a postgresql span in every sampled transaction');
    expect(withSpan.size).to.be.at.least(transactions.length);
  });

  it('follows the caller\'s sampling decision: a request carrying a sampled traceparent is traced at the default rate', async () => {
    capture = await startApmCapture();
    app = await startAppProcess({
      DATABASE_URL: await freshDatabase('apmparent'),
      WEB_CONCURRENCY: '1',
      ELASTIC_APM_SERVER_URL: capture.url,
      ELASTIC_APM_API_REQUEST_TIME: '1s',
    });
    await until(() => capture!.versionProbes || undefined, 'the version probe');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const headers = { traceparent: `00-${traceId}-b7ad6b7169203331-01` };
    for (let i = 0; i < 10; i++) expect((await fetch(`${app.url}/api/medications?limit=1`, { headers })).status).to.equal(200);
    const continued = await until(() => {
      const all = capture!.transactions().filter((t) => t.trace_id === traceId);
      return all.length === 10 ? all : undefined;
    }, 'ten transactions in the caller\'s trace');
    for (const t of continued) expect(t.sampled).to.equal(true);
  });

  it('builds no transactions when nothing is sampled, yet still reports to APM Server', async () => {
    capture = await startApmCapture();
    app = await startAppProcess({
      DATABASE_URL: await freshDatabase('apm0'),
      WEB_CONCURRENCY: '1',
      ELASTIC_APM_SERVER_URL: capture.url,
      ELASTIC_APM_API_REQUEST_TIME: '1s',
      ELASTIC_APM_TRANSACTION_SAMPLE_RATE: '0',
    });
    for (let i = 0; i < 5; i++) expect((await fetch(`${app.url}/api/medications`)).status).to.equal(200);
    await until(() => capture!.events.find((e) => e.metadata), 'the agent to connect');
    const line = await until(() => app!.logs.find((l) => l.message === 'GET /api/medications 200'), 'the request log line');
    // An unsampled transaction would have put its trace id on the line.
    expect(line['trace.id']).to.equal(undefined);
    expect(capture.transactions()).to.deep.equal([]);
  });

  it('sends nothing, not even to the default localhost:8200, when ELASTIC_APM_SERVER_URL is unset', async () => {
    capture = await startApmCapture(8200);
    app = await startAppProcess({ DATABASE_URL: await freshDatabase('noapm'), WEB_CONCURRENCY: '1', ELASTIC_APM_API_REQUEST_TIME: '1s' });
    for (let i = 0; i < 5; i++) expect((await fetch(`${app.url}/api/medications`)).status).to.equal(200);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(capture.requests).to.equal(0);
    expect(app.logs.find((l) => l.message === 'GET /api/medications 200')?.['trace.id']).to.equal(undefined);
  });
});
