import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app-server.js';
import { freshDatabase } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const json = { 'content-type': 'application/json' };

describe('while the database is down', () => {
  let app: TestApp;
  let proxy: TcpProxy;
  let existing: number;

  before(async () => {
    // The app reaches PostgreSQL through a hop the test cuts: open connections drop, new ones are refused.
    const direct = new URL(await freshDatabase('outage'));
    proxy = await startTcpProxy(Number(direct.port));
    direct.port = String(proxy.port);
    app = await startTestApp({ databaseUrl: direct.toString() });
    const res = await fetch(`${app.url}/api/medications`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Before', strength: 1, unit: 'mg' }) });
    existing = ((await res.json()) as { id: number }).id;
  });
  after(async () => {
    await proxy?.restore().catch(() => undefined);
    await app?.close();
    await proxy?.close();
  });

  it('answers every API call with 503 problem+json and Retry-After, the page with a 503 page, then recovers', async () => {
    await proxy.cut();
    const calls: Array<[string, string, RequestInit?]> = [
      ['GET', '/api/medications'],
      ['POST', '/api/medications', { headers: json, body: JSON.stringify({ name: 'During', strength: 1, unit: 'mg' }) }],
      ['GET', `/api/medications/${existing}`],
      ['PATCH', `/api/medications/${existing}`, { headers: json, body: JSON.stringify({ notes: 'x' }) }],
      ['DELETE', `/api/medications/${existing}`],
    ];
    for (const [method, path, init] of calls) {
      const res = await fetch(`${app.url}${path}`, { method, ...init });
      expect(res.status, `${method} ${path}`).to.equal(503);
      expect(res.headers.get('retry-after'), `${method} ${path}`).to.equal('5');
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(await res.json()).to.deep.equal({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The database is unavailable; try again shortly.',
      });
    }
    const page = await fetch(`${app.url}/`);
    expect(page.status).to.equal(503);
    expect(page.headers.get('retry-after')).to.equal('5');
    expect(await page.text()).to.contain('The database is unavailable');
    expect((await fetch(`${app.url}/readyz`)).status).to.equal(503);
    expect(app.logs.filter((l) => l['log.level'] === 'error'), 'an outage is not logged as a bug').to.deep.equal([]);

    await proxy.restore();
    const back = await fetch(`${app.url}/api/medications/${existing}`);
    expect(back.status).to.equal(200);
  });
});
