import { connect } from 'node:net';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app-server.js';

describe('request log', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.close());

  it('names the route that answered, with method and status, one line per request', async () => {
    const json = { 'content-type': 'application/json' };
    const created = await fetch(`${app.url}/api/medications`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Logged', strength: 1, unit: 'mg' }),
    });
    const { id } = (await created.json()) as { id: number };
    const requests: Array<[string, RequestInit]> = [
      ['/api/medications?limit=5', {}],
      [`/api/medications/${id}`, {}],
      ['/api/medications/999999', {}],
      [`/api/medications/${id}`, { method: 'PATCH', headers: json, body: '{"colour":"red"}' }],
      ['/api/medications', { method: 'POST', headers: json, body: '{"name":' }],
      ['/?q=Logged', {}],
      ['/nope?secret=1', {}],
      ['/healthz', {}],
    ];
    for (const [path, init] of requests) await (await fetch(`${app.url}${path}`, init)).arrayBuffer();
    // The last line is written when the response finishes, just after the client has it.
    await new Promise((resolve) => setTimeout(resolve, 50));

    const lines = app.logs.filter((l) => l['http'] !== undefined);
    expect(lines.map((l) => l.message)).to.deep.equal([
      'POST /api/medications 201',
      'GET /api/medications 200',
      'GET /api/medications/:id 200',
      'GET /api/medications/:id 404',
      'PATCH /api/medications/:id 422',
      'POST /api/medications 400',
      'GET / 200',
      'GET /nope 404',
    ]);
    expect(lines[1]).to.deep.include({ url: { path: '/api/medications' } });
    expect(JSON.stringify(lines), 'no headers or bodies').to.not.match(/content-type|Logged|secret/);
  });

  it('says "aborted" at warn level when the client hangs up before the response', async () => {
    const { port } = new URL(app.url);
    // Headers promise 100 bytes of body; the client sends 2 and goes away.
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /api/medications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    const deadline = Date.now() + 2000;
    let line: Record<string, unknown> | undefined;
    while (!(line = app.logs.find((l) => l.message === 'POST /api/medications aborted')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(line?.['log.level']).to.equal('warn');
  });
});
