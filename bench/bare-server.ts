// The baseline: node:http + pg with the same cluster size, answering the same prepared statements
// (named, as pillbox's hot paths are) with no framework, no validation, no logging, no headers.
import cluster from 'node:cluster';
import { createServer, type ServerResponse } from 'node:http';
import pg from 'pg';

const workers = Number(process.env.WEB_CONCURRENCY ?? 2);
const port = Number(process.env.PORT);
const COLUMNS = `id, name, strength, unit, form, notes, created_at AS "createdAt", updated_at AS "updatedAt"`;

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
  };
  createServer(async (req, res) => {
    if (req.url === '/healthz') return send(res, 200, { status: 'ok' });
    if (req.url?.startsWith('/api/medications') && req.method === 'GET') {
      const { rows } = await pool.query({
        name: 'list',
        text: `SELECT ${COLUMNS} FROM medications ORDER BY created_at DESC, id DESC LIMIT $1`,
        values: [21],
      });
      return send(res, 200, { items: rows.slice(0, 20).map((r) => ({ ...r, strength: Number(r.strength) })), nextCursor: null });
    }
    if (req.url === '/api/medications' && req.method === 'POST') {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const m = JSON.parse(raw) as Record<string, unknown>;
      const { rows } = await pool.query({
        name: 'create',
        text: `INSERT INTO medications (name, strength, unit, form, notes) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        values: [m.name, m.strength, m.unit, m.form ?? 'other', m.notes ?? null],
      });
      return send(res, 201, { ...rows[0], strength: Number(rows[0].strength) });
    }
    send(res, 404, {});
  }).listen(port, '127.0.0.1');
}
