import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app-server.js';

const json = { 'content-type': 'application/json' };
const valid = JSON.stringify({ name: 'Ibuprofen', strength: 200, unit: 'mg' });

/** A urlencoded form body with `n` fields. */
const formWith = (n: number) => new URLSearchParams(Array.from({ length: n }, (_, i): [string, string] => [`f${i}`, 'x'])).toString();

describe('client errors', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ bodyLimit: 2048 });
  });
  after(async () => app?.close());
  beforeEach(async () => {
    await app.sequelize.query('TRUNCATE medications RESTART IDENTITY');
  });

  const send = (path: string, init: RequestInit) => fetch(`${app.url}${path}`, init);

  describe('on the API: every refusal by the body parser is problem+json with its 4xx, titled by the status', () => {
    const cases: Array<[string, RequestInit, number, string]> = [
      ['an unsupported charset', { method: 'POST', headers: { 'content-type': 'application/json; charset=latin1' }, body: valid }, 415, 'Unsupported Media Type'],
      ['an unsupported content encoding', { method: 'POST', headers: { ...json, 'content-encoding': 'compress' }, body: valid }, 415, 'Unsupported Media Type'],
      ['a body over the limit', { method: 'POST', headers: json, body: JSON.stringify({ name: 'x'.repeat(4096) }) }, 413, 'Payload Too Large'],
    ];
    for (const [what, init, status, title] of cases) {
      it(`answers ${what} with ${status}`, async () => {
        const res = await send('/api/medications', init);
        expect(res.status).to.equal(status);
        expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
        expect(await res.json()).to.deep.include({ type: 'about:blank', title, status });
        expect(await app.count()).to.equal(0);
      });
    }
  });

  describe('on the form: every refusal by the body parser is an HTML error page with its 4xx', () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const cases: Array<[string, RequestInit, number, RegExp]> = [
      ['40 fields, more than the parser allows', { method: 'POST', headers: form, body: formWith(40) }, 413, /more fields than this endpoint accepts/],
      ['an unsupported charset', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=latin1' }, body: 'name=x' }, 415, /Send the body as UTF-8/],
      ['a body over the limit', { method: 'POST', headers: form, body: `name=${'x'.repeat(4096)}` }, 413, /exceeds 2048 bytes/],
    ];
    for (const [what, init, status, message] of cases) {
      it(`answers ${what} with ${status} and a page saying why`, async () => {
        const res = await send('/', init);
        expect(res.status).to.equal(status);
        expect(res.headers.get('content-type')).to.match(/^text\/html/);
        const page = await res.text();
        expect(page).to.match(message).and.match(/<a href="\/">/);
        expect(await app.count()).to.equal(0);
      });
    }
  });

  describe('on the page: a link with a bad cursor or search', () => {
    const links: Array<[string, string]> = [
      ['/?cursor=bogus', 'cursor must be a nextCursor value returned by this endpoint'],
      [`/?q=${'a'.repeat(121)}`, 'q must be text of at most 120 characters'],
      ['/?q=a&q=b', 'q must be text of at most 120 characters'],
    ];
    for (const [link, message] of links) {
      it(`answers ${link.slice(0, 24)} with 400, the message, and the newest medications`, async () => {
        await send('/api/medications', { method: 'POST', headers: json, body: valid });
        const res = await send(link, { method: 'GET' });
        expect(res.status).to.equal(400);
        expect(res.headers.get('content-type')).to.match(/^text\/html/);
        const page = await res.text();
        expect(page).to.contain(`<p class="error" role="alert">This link cannot be followed: ${message}.</p>`);
        expect(page).to.contain('<td>Ibuprofen</td>');
        expect(page).to.match(/<title>Error: /);
      });
    }
  });

  it('never answers client input with a 5xx', async () => {
    const odd: Array<[string, RequestInit]> = [
      ['/api/medications/%E0%A4%A', { method: 'GET' }],
      ['/api/medications?q=%', { method: 'GET' }],
      ['/api/medications?limit=1&limit=2&q=a&q=b', { method: 'GET' }],
      ['/api/medications', { method: 'POST', headers: json, body: '{"name":' }],
      ['/api/medications', { method: 'POST', headers: json, body: '[]' }],
      ['/api/medications', { method: 'POST', headers: { 'content-type': 'application/merge-patch+json' }, body: '{}' }],
      ['/api/medications/1', { method: 'PATCH', headers: json, body: 'null' }],
      ['/api/medications', { method: 'PUT', headers: json, body: valid }],
      ['/?cursor=%FF', { method: 'GET' }],
      ['/?q=' + 'é'.repeat(200), { method: 'GET' }],
      ['/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '%' }],
      ['/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: formWith(21) }],
      ['/', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'name=x' }],
      ['/problems/%00', { method: 'GET' }],
    ];
    const server = [];
    for (const [path, init] of odd) {
      const res = await send(path, init);
      await res.arrayBuffer();
      if (res.status >= 500) server.push(`${init.method} ${path} → ${res.status}`);
    }
    expect(server).to.deep.equal([]);
  });

  describe('problem types (RFC 9457)', () => {
    it('titles an about:blank problem with the HTTP status phrase', async () => {
      const res = await send('/api/medications/999', { method: 'GET' });
      expect(await res.json()).to.deep.equal({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No medication with id 999.' });
    });

    const typed: Array<[string, RequestInit, string, string, number]> = [
      ['invalid fields', { method: 'POST', headers: json, body: '{}' }, '/problems/invalid-body', 'Invalid request body', 422],
      ['malformed JSON', { method: 'POST', headers: json, body: '{"name":' }, '/problems/malformed-json', 'Malformed JSON', 400],
    ];
    for (const [what, init, type, title, status] of typed) {
      it(`gives ${what} a type URI of its own, documented at that address`, async () => {
        const res = await send('/api/medications', init);
        expect(await res.json()).to.deep.include({ type, title, status });
        const doc = await fetch(new URL(type, res.url));
        expect(doc.status).to.equal(200);
        expect(await doc.text()).to.contain(`<h1>${title}</h1>`);
      });
    }

    it('gives an invalid query its own type', async () => {
      const res = await send('/api/medications?limit=0', { method: 'GET' });
      expect(await res.json()).to.deep.include({ type: '/problems/invalid-query', title: 'Invalid query parameters', status: 400 });
    });

    it('answers an unknown problem type with 404', async () => {
      expect((await send('/problems/nope', { method: 'GET' })).status).to.equal(404);
    });
  });
});
