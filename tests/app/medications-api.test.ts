import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app-server.js';

const aMedication = (overrides: Record<string, unknown> = {}) => ({
  name: 'Ibuprofen',
  strength: 200,
  unit: 'mg',
  form: 'tablet',
  ...overrides,
});

describe('medications API', () => {
  let app: TestApp;
  const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${app.url}/api/medications`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const patch = (id: number | string, body: unknown) =>
    fetch(`${app.url}/api/medications/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const create = async (overrides: Record<string, unknown> = {}) => {
    const res = await post(aMedication(overrides));
    expect(res.status).to.equal(201);
    return (await res.json()) as { id: number; name: string; createdAt: string };
  };

  before(async () => {
    app = await startTestApp();
  });
  after(async () => app.close());
  beforeEach(async () => {
    await app.sequelize.query('TRUNCATE medications RESTART IDENTITY');
  });

  describe('create and read', () => {
    it('creates a medication, answers 201 with Location, and lists it', async () => {
      const res = await post(aMedication({ name: '  Amoxicillin  ', strength: 12.5, notes: 'with food' }));
      expect(res.status).to.equal(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.headers.get('location')).to.equal(`/api/medications/${body.id}`);
      expect(body).to.include({ name: 'Amoxicillin', strength: 12.5, unit: 'mg', form: 'tablet', notes: 'with food' });
      expect(body.createdAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      const list = (await (await fetch(`${app.url}/api/medications`)).json()) as { items: Array<{ id: number }> };
      expect(list.items.map((m) => m.id)).to.deep.equal([body.id]);
      const one = await fetch(`${app.url}${res.headers.get('location')}`);
      expect(await one.json()).to.deep.equal(body);
    });

    it('defaults form to other and notes to null, and returns strength as a JSON number', async () => {
      const res = await post({ name: 'Saline', strength: 0.9, unit: '%' });
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.include({ form: 'other', notes: null, strength: 0.9 });
    });

    it('keeps unicode names intact, counting characters rather than bytes', async () => {
      const name = '💊'.repeat(120);
      const created = await create({ name });
      expect(created.name).to.equal(name);
      const res = await post(aMedication({ name: 'Парацетамол 对乙酰氨基酚' }));
      expect(((await res.json()) as { name: string }).name).to.equal('Парацетамол 对乙酰氨基酚');
    });

    it('stores SQL-looking text verbatim as data and leaves the table intact', async () => {
      const name = "x'); DROP TABLE medications; --";
      const created = await create({ name });
      expect(created.name).to.equal(name);
      expect(await app.count()).to.equal(1);
    });
  });

  describe('update and delete', () => {
    it('patches only the given fields and moves updatedAt', async () => {
      const created = await create();
      const res = await patch(created.id, { strength: 400, notes: 'max daily' });
      expect(res.status).to.equal(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.include({ name: 'Ibuprofen', strength: 400, notes: 'max daily' });
      expect(new Date(body.updatedAt as string).getTime()).to.be.greaterThanOrEqual(new Date(created.createdAt).getTime());
    });

    it('deletes with 204, then answers 404 for that id', async () => {
      const created = await create();
      expect((await fetch(`${app.url}/api/medications/${created.id}`, { method: 'DELETE' })).status).to.equal(204);
      const again = await fetch(`${app.url}/api/medications/${created.id}`);
      expect(again.status).to.equal(404);
      expect(again.headers.get('content-type')).to.match(/^application\/problem\+json/);
    });

    for (const id of ['999999', '0', '-1', 'abc', '1.5', '99999999999', '1%20OR%201=1']) {
      it(`answers 404 problem+json for GET, PATCH and DELETE of id ${decodeURIComponent(id)}`, async () => {
        await create();
        for (const method of ['GET', 'PATCH', 'DELETE']) {
          const res = await fetch(`${app.url}/api/medications/${id}`, {
            method,
            headers: { 'content-type': 'application/json' },
            ...(method === 'PATCH' ? { body: JSON.stringify({ name: 'X' }) } : {}),
          });
          expect(res.status, method).to.equal(404);
          const problem = (await res.json()) as Record<string, unknown>;
          expect(problem).to.include({ status: 404, title: 'Not Found' });
        }
        expect(await app.count()).to.equal(1);
      });
    }

    it('rejects a PATCH with no fields, unknown fields or a client id, changing nothing', async () => {
      const created = await create();
      for (const body of [{}, { colour: 'red' }, { id: 5 }, { updatedAt: '2020-01-01T00:00:00Z' }, { name: null }]) {
        const res = await patch(created.id, body);
        expect(res.status, JSON.stringify(body)).to.equal(422);
      }
      const now = (await (await fetch(`${app.url}/api/medications/${created.id}`)).json()) as Record<string, unknown>;
      expect(now).to.include({ name: 'Ibuprofen', strength: 200 });
    });
  });

  describe('bad input', () => {
    const cases: Array<[string, unknown, string[]]> = [
      ['a string for strength', aMedication({ strength: '200' }), ['#/strength']],
      ['an object for name', aMedication({ name: { first: 'a' } }), ['#/name']],
      ['an array body', [aMedication()], ['#']],
      ['zero strength', aMedication({ strength: 0 }), ['#/strength']],
      ['negative strength', aMedication({ strength: -5 }), ['#/strength']],
      ['strength beyond NUMERIC(12,4)', aMedication({ strength: 1e12 }), ['#/strength']],
      ['strength with five decimals', aMedication({ strength: 1.00001 }), ['#/strength']],
      ['an unknown unit', aMedication({ unit: 'kg' }), ['#/unit']],
      ['an unknown form', aMedication({ form: 'pill' }), ['#/form']],
      ['a blank name', aMedication({ name: '   ' }), ['#/name']],
      ['a 121-character name', aMedication({ name: 'a'.repeat(121) }), ['#/name']],
      ['2001 characters of notes', aMedication({ notes: 'n'.repeat(2001) }), ['#/notes']],
      ['a NUL byte in the name', aMedication({ name: 'Ibu\u0000profen' }), ['#/name']],
      ['a newline in the name', aMedication({ name: 'Ibu\nprofen' }), ['#/name']],
      ['a client-supplied id', aMedication({ id: 7 }), ['#/id']],
      ['client-supplied timestamps', aMedication({ createdAt: 'x', updatedAt: 'y' }), ['#/createdAt', '#/updatedAt']],
      ['an unknown field', aMedication({ colour: 'red' }), ['#/colour']],
      ['SQL in a typed field', aMedication({ strength: '1; DROP TABLE medications' }), ['#/strength']],
      ["SQL in an enum field", aMedication({ unit: "mg' OR '1'='1" }), ['#/unit']],
      ['everything missing', {}, ['#/name', '#/strength', '#/unit']],
    ];

    for (const [what, body, pointers] of cases) {
      it(`rejects ${what} with 422 listing ${pointers.join(', ')} and stores nothing`, async () => {
        const res = await post(body);
        expect(res.status).to.equal(422);
        expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
        const problem = (await res.json()) as { status: number; errors: Array<{ pointer: string }> };
        expect(problem.status).to.equal(422);
        expect(problem.errors.map((e) => e.pointer)).to.have.members(pointers);
        expect(await app.count()).to.equal(0);
      });
    }

    it('rejects a lone UTF-16 surrogate in the name', async () => {
      const res = await post('{"name":"Ibu\\ud800profen","strength":1,"unit":"mg"}');
      expect(res.status).to.equal(422);
      expect(await app.count()).to.equal(0);
    });

    const notAnObject: Array<[string, number]> = [['{"name": "Ibuprofen",', 400], ['null', 400], ['"Ibuprofen"', 400], ['', 422]];
    for (const [body, status] of notAnObject) {
      it(`answers the body ${JSON.stringify(body)} with ${status}`, async () => {
        const res = await post(body);
        expect(res.status).to.equal(status);
        expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
        expect(await app.count()).to.equal(0);
      });
    }

    it('answers an oversized body with 413 before parsing it', async () => {
      const res = await post(aMedication({ notes: 'x'.repeat(100_000) }));
      expect(res.status).to.equal(413);
      expect(await app.count()).to.equal(0);
    });

    it('answers a body that is not JSON with 415', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const res = await post('name=Ibuprofen&strength=200&unit=mg', { 'content-type': type });
        expect(res.status, type).to.equal(415);
      }
      expect(await app.count()).to.equal(0);
    });
  });

  describe('list', () => {
    const list = async (query = '') => {
      const res = await fetch(`${app.url}/api/medications${query}`);
      expect(res.status).to.equal(200);
      return (await res.json()) as { items: Array<{ id: number; name: string }>; nextCursor: string | null };
    };
    /** Follows nextCursor from the first page to the last; the ids in the order served. */
    const everyId = async (limit: number) => {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof list>> = await list(`?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.items.map((m) => m.id));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };

    it('returns 20 newest first by default, at most 100, with a cursor to the rest', async () => {
      for (let i = 0; i < 25; i++) await create({ name: `Med ${i}` });
      const first = await list();
      expect(first.items).to.have.length(20);
      expect(first.items[0]!.name).to.equal('Med 24');
      expect(first.nextCursor).to.be.a('string');
      const rest = await list(`?cursor=${first.nextCursor}`);
      expect(rest.items.map((m) => m.name)).to.deep.equal(['Med 4', 'Med 3', 'Med 2', 'Med 1', 'Med 0']);
      expect(rest.nextCursor).to.equal(null);
      expect((await list('?limit=100')).items).to.have.length(25);
    });

    for (const query of ['?limit=0', '?limit=101', '?limit=ten', '?limit=1&limit=2', '?cursor=bogus', '?cursor=' + Buffer.from('["x",1]').toString('base64url')]) {
      it(`answers ${query} with 400 naming the parameter`, async () => {
        const res = await fetch(`${app.url}/api/medications${query}`);
        expect(res.status).to.equal(400);
        const problem = (await res.json()) as { errors: Array<{ parameter: string }> };
        expect(problem.errors[0]!.parameter).to.be.oneOf(['limit', 'cursor']);
      });
    }

    it('pages by id among rows that share one created_at, inserted by one statement', async () => {
      await app.sequelize.query(
        `INSERT INTO medications (name, strength, unit) SELECT 'Tie ' || i, 1, 'mg' FROM generate_series(1, 23) AS i`,
      );
      const [stamps] = await app.sequelize.query('SELECT count(DISTINCT created_at)::int AS n FROM medications');
      expect((stamps as Array<{ n: number }>)[0]!.n, 'one timestamp for every row').to.equal(1);
      expect(await everyId(5)).to.deep.equal(Array.from({ length: 23 }, (_, i) => 23 - i));
    });

    it('filters by name, case-insensitive, treating % and _ as text', async () => {
      await create({ name: 'Ibuprofen' });
      await create({ name: 'IBUPROFEN forte' });
      await create({ name: 'Paracetamol' });
      await create({ name: 'Zinc 50% cream' });
      expect((await list('?q=ibu')).items.map((m) => m.name)).to.have.members(['Ibuprofen', 'IBUPROFEN forte']);
      expect((await list('?q=50%25')).items.map((m) => m.name)).to.deep.equal(['Zinc 50% cream']);
      expect((await list('?q=%25')).items.map((m) => m.name)).to.deep.equal(['Zinc 50% cream']);
      expect((await list('?q=_')).items).to.have.length(0);
      expect((await list("?q=' OR 1=1 --")).items).to.have.length(0);
    });

    it('pages through every row exactly once while other clients insert concurrently', async () => {
      const seeded = new Set<number>();
      for (let i = 0; i < 60; i++) seeded.add((await create({ name: `Seed ${i}` })).id);

      let inserting = true;
      const writers = Array.from({ length: 3 }, async () => {
        let n = 0;
        while (inserting) await create({ name: `Concurrent ${n++}` });
      });
      const seen = await everyId(7);
      inserting = false;
      await Promise.all(writers);

      expect(new Set(seen).size, 'no row repeated').to.equal(seen.length);
      for (const id of seeded) expect(seen, `seeded row ${id} not skipped`).to.include(id);
      expect(await app.count()).to.be.greaterThan(60);
    });
  });

  describe('health', () => {
    it('answers /healthz without I/O and /readyz once the database and schema are there', async () => {
      expect((await fetch(`${app.url}/healthz`)).status).to.equal(200);
      const ready = await fetch(`${app.url}/readyz`);
      expect(ready.status).to.equal(200);
      expect(await ready.json()).to.deep.equal({ status: 'ready' });
    });

    it('sends API security headers on JSON and, on the page, a CSP allowing only this origin’s stylesheet', async () => {
      const api = await fetch(`${app.url}/api/medications`);
      expect(api.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(api.headers.get('content-security-policy')).to.equal("default-src 'none';frame-ancestors 'none'");
      expect(api.headers.get('x-powered-by')).to.equal(null);
      const page = await fetch(`${app.url}/`);
      expect(page.headers.get('content-security-policy')).to.equal(
        "default-src 'self';base-uri 'self';form-action 'self';frame-ancestors 'none';img-src 'self';object-src 'none';script-src 'none';style-src 'self'",
      );
      // Same-origin, not no-referrer: the form's own POST must carry its real Origin (cross-site-writes.ts).
      expect(page.headers.get('referrer-policy')).to.equal('same-origin');
      expect(api.headers.get('referrer-policy')).to.equal('no-referrer');
    });

    it('answers unknown routes with a problem+json 404', async () => {
      const res = await fetch(`${app.url}/nope`);
      expect(res.status).to.equal(404);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    });
  });
});
