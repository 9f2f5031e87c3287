// Writes need the write password once WRITE_PASSWORDS is set; reads stay open. The real app on a real database.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app-server.js';

const CURRENT = 'current-0f3c9a1e-write-password';
const PREVIOUS = 'previous-7b2d4e8f-write-password';
const json = { 'content-type': 'application/json' };
const body = JSON.stringify({ name: 'Guarded', strength: 5, unit: 'mg' });
const basic = (password: string, user = 'anyone') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the write password', () => {
  let app: TestApp;
  const post = (headers: Record<string, string> = {}) => fetch(`${app.url}/api/medications`, { method: 'POST', headers: { ...json, ...headers }, body });

  before(async () => {
    app = await startTestApp({ writePasswords: [CURRENT, PREVIOUS] });
  });
  after(async () => app?.close());
  beforeEach(async () => {
    await app.sequelize.query('TRUNCATE medications RESTART IDENTITY');
  });

  it('answers a write without it with 401, a Basic challenge and a problem saying what to send, storing nothing', async () => {
    const res = await post();
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.equal('Basic realm="pillbox writes", charset="UTF-8"');
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(await res.json()).to.deep.equal({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'Writing needs the write password: send it as HTTP Basic credentials (any user name) or as "Authorization: Bearer <password>".',
    });
    expect(await app.count()).to.equal(0);
  });

  it('refuses a wrong password, a truncated one and other schemes alike', async () => {
    for (const authorization of [basic('not-the-password'), `Bearer ${CURRENT.slice(0, -1)}`, `Bearer ${CURRENT}x`, basic(CURRENT).replace('Basic', 'Digest'), 'Bearer', basic(`${CURRENT}`).slice(0, 12)]) {
      const res = await post({ authorization });
      expect(res.status, authorization).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.match(/^Basic /);
    }
    expect(await app.count()).to.equal(0);
  });

  it('accepts the current and the previous password, as Basic with any user name or as Bearer', async () => {
    for (const authorization of [basic(CURRENT), basic(PREVIOUS, ''), `Bearer ${CURRENT}`, `bearer ${PREVIOUS}`]) {
      expect((await post({ authorization })).status, authorization).to.equal(201);
    }
    expect(await app.count()).to.equal(4);
  });

  it('guards PATCH and DELETE too, before looking the id up', async () => {
    const { id } = (await (await post({ authorization: `Bearer ${CURRENT}` })).json()) as { id: number };
    const patch = (headers: Record<string, string>) =>
      fetch(`${app.url}/api/medications/${id}`, { method: 'PATCH', headers: { ...json, ...headers }, body: '{"notes":"x"}' });
    expect((await patch({})).status).to.equal(401);
    expect((await fetch(`${app.url}/api/medications/${id}`, { method: 'DELETE' })).status).to.equal(401);
    expect((await fetch(`${app.url}/api/medications/999`, { method: 'DELETE' })).status, 'no existence probe without it').to.equal(401);
    expect((await patch({ authorization: basic(CURRENT) })).status).to.equal(200);
    expect((await fetch(`${app.url}/api/medications/${id}`, { method: 'DELETE', headers: { authorization: basic(PREVIOUS) } })).status).to.equal(204);
  });

  it('checks the password before the body: a JSON body over the limit without it is a 401, not the parser\'s 413', async () => {
    const oversized = JSON.stringify({ name: 'x'.repeat(100_000), strength: 5, unit: 'mg' });
    const res = await fetch(`${app.url}/api/medications`, { method: 'POST', headers: json, body: oversized });
    expect(res.status).to.equal(401);
    const authorized = await fetch(`${app.url}/api/medications`, { method: 'POST', headers: { ...json, authorization: `Bearer ${CURRENT}` }, body: oversized });
    expect(authorized.status, 'the same body with the password reaches the parser').to.equal(413);
  });

  it('keeps reads open: the list, one item, the page and the health checks', async () => {
    const { id } = (await (await post({ authorization: `Bearer ${CURRENT}` })).json()) as { id: number };
    for (const path of ['/api/medications?limit=5', `/api/medications/${id}`, '/', '/healthz', '/readyz']) {
      expect((await fetch(`${app.url}${path}`)).status, path).to.equal(200);
    }
  });

  it('answers the form without it with a 401 page and the challenge, storing nothing', async () => {
    const res = await fetch(`${app.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Form&strength=5&unit=mg' });
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(/^Basic realm="pillbox writes"/);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    expect(await res.text()).to.include('Writing needs the write password');
    expect(await app.count()).to.equal(0);
  });

  it('never writes a password into the log, sent right or wrong', async () => {
    await post({ authorization: basic(CURRENT) });
    await post({ authorization: `Bearer ${PREVIOUS}` });
    await post({ authorization: `Bearer wrong-${CURRENT}` });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = app.logs.filter((l) => l['http'] !== undefined).map((l) => l.message);
    expect(lines.slice(-3)).to.deep.equal(['POST /api/medications 201', 'POST /api/medications 201', 'POST /api/medications 401']);
    const everything = JSON.stringify(app.logs);
    for (const secret of [CURRENT, PREVIOUS, Buffer.from(`anyone:${CURRENT}`).toString('base64')]) expect(everything).to.not.include(secret);
  });
});

describe('writes from another site', () => {
  let app: TestApp;
  const authorization = `Bearer ${CURRENT}`;
  const write = (url: string, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization, ...headers }, body: 'name=Forged&strength=5&unit=mg' });

  before(async () => {
    app = await startTestApp({ writePasswords: [CURRENT], trustProxy: ['127.0.0.1'] });
  });
  after(async () => app?.close());
  beforeEach(async () => {
    await app.sequelize.query('TRUNCATE medications RESTART IDENTITY');
  });

  it('refuses a form or API write whose Sec-Fetch-Site is not same-origin, with a 403 page or problem, even with the password', async () => {
    for (const site of ['cross-site', 'same-site', 'Cross-Site']) {
      const form = await write(`${app.url}/`, { 'sec-fetch-site': site });
      expect(form.status, site).to.equal(403);
      expect(form.headers.get('content-type')).to.match(/^text\/html/);
      expect(await form.text()).to.include('only from this site');
      const api = await fetch(`${app.url}/api/medications`, { method: 'POST', headers: { ...json, authorization, 'sec-fetch-site': site }, body });
      expect(api.status, site).to.equal(403);
      expect(((await api.json()) as { detail: string }).detail).to.match(/^Writes are accepted only from this site's own pages/);
    }
    expect(await app.count()).to.equal(0);
  });

  it('refuses a write from a foreign Origin, or Origin null, when the browser sends no Sec-Fetch-Site', async () => {
    for (const origin of ['http://evil.example', 'null', `${app.url.replace('127.0.0.1', 'localhost')}`, `https://${new URL(app.url).host}`]) {
      expect((await write(`${app.url}/`, { origin })).status, origin).to.equal(403);
    }
    expect(await app.count()).to.equal(0);
  });

  it('accepts its own pages (same-origin, or the same Origin), a typed request (none) and clients that send neither', async () => {
    const accepted: Record<string, string>[] = [{ 'sec-fetch-site': 'same-origin', origin: 'http://evil.example' }, { 'sec-fetch-site': 'none' }, { origin: app.url }, {}];
    for (const headers of accepted) {
      expect((await write(`${app.url}/`, headers)).status, JSON.stringify(headers)).to.equal(303);
    }
    expect(await app.count()).to.equal(4);
  });

  it('compares the Origin with the address the trusted proxy was asked for (X-Forwarded-Proto and -Host)', async () => {
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'pillbox.example' };
    expect((await write(`${app.url}/`, { ...proxied, origin: 'https://pillbox.example' })).status).to.equal(303);
    expect((await write(`${app.url}/`, { ...proxied, origin: 'http://pillbox.example' })).status).to.equal(403);
    expect(await app.count()).to.equal(1);
  });

  it('leaves reads alone whatever site they come from', async () => {
    expect((await fetch(`${app.url}/api/medications`, { headers: { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' } })).status).to.equal(200);
    expect((await fetch(`${app.url}/`, { headers: { 'sec-fetch-site': 'cross-site' } })).status).to.equal(200);
  });

  it('refuses before the credential: a cross-site write without the password gets no Basic challenge to prompt with', async () => {
    const res = await fetch(`${app.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' }, body: 'name=Forged&strength=5&unit=mg' });
    expect(res.status).to.equal(403);
    expect(res.headers.get('www-authenticate')).to.equal(null);
  });
});

describe('writes without WRITE_PASSWORDS', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.close());

  it('stay open, as `npm start` has them by default', async () => {
    const res = await fetch(`${app.url}/api/medications`, { method: 'POST', headers: json, body });
    expect(res.status).to.equal(201);
  });
});
