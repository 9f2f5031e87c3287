// `npm run bench`: the app against a bare node:http + pg server, on loopback, in one run.
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { migrate } from '../app/src/db/migrate.js';
import { createSequelize } from '../app/src/db/sequelize.js';
import { startApmCapture } from '../tests/support/apm-capture.js';
import { startAppProcess } from '../tests/support/app-process.js';
import { freePort, freshDatabase, stopPostgres } from '../tests/support/postgres.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = 32;
const SEED_ROWS = 10_000;

const LABEL = {
  one: 'app, 1 worker',
  two: 'app, 2 workers',
  apm: 'app, 2 workers + APM',
  apmSampled: 'app, 2 workers + APM sampling 20%',
  bare: 'bare node:http + pg, 2 workers',
};

interface Target {
  label: string;
  start(databaseUrl: string): Promise<{ url: string; stop(): Promise<unknown> }>;
}

interface Row {
  target: string;
  endpoint: string;
  rps: number;
  p50: number;
  p99: number;
  failures: number;
}

const ENDPOINTS = [
  { name: 'GET list', path: '/api/medications?limit=20', method: 'GET' as const },
  {
    name: 'POST create',
    path: '/api/medications',
    method: 'POST' as const,
    body: JSON.stringify({ name: 'Bench', strength: 5, unit: 'mg', form: 'tablet' }),
  },
  { name: 'GET /healthz', path: '/healthz', method: 'GET' as const },
];

async function seed(databaseUrl: string): Promise<void> {
  const sequelize = createSequelize(databaseUrl, 1);
  await migrate(databaseUrl, sequelize, pino({ level: 'silent' }));
  await sequelize.query(
    `INSERT INTO medications (name, strength, unit, form, created_at, updated_at)
     SELECT 'Medication ' || i, (i % 500) + 0.5, 'mg', 'tablet', now() - i * interval '1 second', now()
     FROM generate_series(1, ${SEED_ROWS}) AS i`,
  );
  await sequelize.query('VACUUM ANALYZE medications');
  await sequelize.close();
}

const appTarget = (label: string, workers: number, apmEnv: Record<string, string> = {}): Target => ({
  label,
  async start(databaseUrl) {
    // Request logging stays on at info, as in production; the lines go to /dev/null.
    const app = await startAppProcess(
      { DATABASE_URL: databaseUrl, WEB_CONCURRENCY: String(workers), LOG_LEVEL: 'info', ...apmEnv },
      { captureLogs: false },
    );
    return { url: app.url, stop: () => app.stop() };
  },
});

const bareTarget: Target = {
  label: LABEL.bare,
  async start(databaseUrl) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), WEB_CONCURRENCY: '2' },
      stdio: 'ignore',
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      url,
      stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
    };
  },
};

async function load(url: string, endpoint: (typeof ENDPOINTS)[number], duration: number) {
  return autocannon({
    url: `${url}${endpoint.path}`,
    method: endpoint.method,
    connections: CONNECTIONS,
    duration,
    headers: { 'content-type': 'application/json' },
    ...(endpoint.body ? { body: endpoint.body } : {}),
  });
}

async function measure(target: Target, databaseUrl: string): Promise<Row[]> {
  const running = await target.start(databaseUrl);
  const rows: Row[] = [];
  try {
    for (const endpoint of ENDPOINTS) {
      await load(running.url, endpoint, 1); // warm-up: JIT, pools, agent connections
      const result = await load(running.url, endpoint, DURATION_S);
      rows.push({
        target: target.label,
        endpoint: endpoint.name,
        rps: Math.round(result.requests.average),
        p50: result.latency.p50,
        p99: result.latency.p99,
        failures: result.errors + result.timeouts + result.non2xx,
      });
      process.stderr.write(`  ${target.label} · ${endpoint.name}: ${Math.round(result.requests.average)} req/s\n`);
    }
  } finally {
    await running.stop();
  }
  return rows;
}

const pct = (a: number, b: number) => `${Math.round((a / b) * 100)}%`;

function verdicts(rows: Row[]) {
  const get = (target: string, endpoint: string) =>
    rows.find((r) => r.target === target && r.endpoint === endpoint) ?? { rps: NaN, p99: NaN };
  const lines: Array<[string, string, boolean]> = [];
  for (const endpoint of ['GET list', 'POST create']) {
    const app = get(LABEL.two, endpoint);
    const bare = get(LABEL.bare, endpoint);
    lines.push([`${endpoint}: app (2 workers) vs bare server, at least 50%`, pct(app.rps, bare.rps), app.rps / bare.rps >= 0.5]);
    for (const target of [LABEL.apm, LABEL.apmSampled]) {
      const cost = 1 - get(target, endpoint).rps / app.rps;
      lines.push([`${endpoint}: cost of ${target.replace('app, 2 workers + ', '')}, at most 15%`, `${Math.round(cost * 100)}%`, cost <= 0.15]);
    }
  }
  for (const row of rows.filter((r) => r.target.startsWith(LABEL.two))) {
    lines.push([`p99 ${row.target} · ${row.endpoint}, under 30 ms`, `${row.p99} ms`, row.p99 < 30]);
  }
  return lines;
}

async function main(): Promise<void> {
  const capture = await startApmCapture(0, { keepEvents: false });
  try {
    const databaseUrl = await freshDatabase('bench');
    await seed(databaseUrl);
    process.stderr.write(`seeded ${SEED_ROWS} rows; ${DURATION_S} s per endpoint at ${CONNECTIONS} connections\n`);
    const targets = [
      appTarget(LABEL.one, 1),
      appTarget(LABEL.two, 2),
      appTarget(LABEL.apm, 2, { ELASTIC_APM_SERVER_URL: capture.url }),
      appTarget(LABEL.apmSampled, 2, { ELASTIC_APM_SERVER_URL: capture.url, ELASTIC_APM_TRANSACTION_SAMPLE_RATE: '0.2' }),
      bareTarget,
    ];
    // BENCH_ONLY='a|b' narrows a run to the targets whose label contains a or b (for quick iterations).
    const only = process.env.BENCH_ONLY;
    const rows: Row[] = [];
    for (const target of targets.filter((t) => !only || only.split('|').some((o) => t.label.includes(o)))) {
      rows.push(...(await measure(target, databaseUrl)));
    }

    console.log(`\n| target | endpoint | req/s | p50 ms | p99 ms | failed |\n|---|---|---:|---:|---:|---:|`);
    for (const r of rows) console.log(`| ${r.target} | ${r.endpoint} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.failures} |`);
    console.log(`\n| check (target) | result | met |\n|---|---|---|`);
    for (const [what, value, ok] of verdicts(rows)) console.log(`| ${what} | ${value} | ${ok ? 'yes' : 'NO'} |`);
    console.log(`\nAPM capture received ${Math.round(capture.intakeBytes / 1024)} KiB of compressed events during the APM run.`);
  } finally {
    await capture.close();
    await stopPostgres();
  }
}

await main();
