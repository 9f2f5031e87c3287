// `npx tsx bench/gc-trace.ts list|create 'label:VAR=value,...' ...`: each variant in turn, one worker
// under wrk with V8's --trace-gc-nvp (refused in NODE_OPTIONS, so the app is started here with it; the
// primary passes its flags on to the worker before the production heap limits). Prints, per request:
// bytes allocated and promoted to the old space, GC pause, and concurrent marking on helper threads.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { migrate } from '../app/src/db/migrate.js';
import { createSequelize } from '../app/src/db/sequelize.js';
import { startApmCapture } from '../tests/support/apm-capture.js';
import { freePort, freshDatabase, stopPostgres } from '../tests/support/postgres.js';
import { parseVariant } from './variant.js';
import { runWrk } from './wrk.js';

const APP_DIR = fileURLToPath(new URL('../app/', import.meta.url));
const FIELDS = ['allocated', 'promoted', 'pause', 'background.mark', 'background.scavenge.parallel'] as const;

/** Sums the fields of V8's name=value GC lines, and counts them by kind (s: scavenge, mc: mark-compact). */
function sumGcLines(lines: string[]) {
  const sums = Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<(typeof FIELDS)[number], number>;
  const kinds: Record<string, number> = {};
  for (const line of lines) {
    const kind = /\bgc=(\w+)/.exec(line)?.[1];
    if (!kind) continue;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    for (const field of FIELDS) sums[field] += Number(new RegExp(`(?:^|\\s)${field.replace(/\./g, '\\.')}=([\\d.]+)`).exec(line)?.[1] ?? 0);
  }
  return { sums, kinds };
}

async function main(): Promise<void> {
  const [endpoint = 'list', ...specs] = process.argv.slice(2);
  const capture = await startApmCapture(0, { keepEvents: false });
  try {
    const databaseUrl = await freshDatabase('gctrace');
    const sequelize = createSequelize(databaseUrl, 1);
    await migrate(databaseUrl, sequelize, pino({ level: 'silent' }));
    await sequelize.query(`INSERT INTO medications (name, strength, unit) SELECT 'Medication ' || i, 1, 'mg' FROM generate_series(1, 10000) AS i`);
    await sequelize.close();
    console.log('| variant | requests | GCs | allocated B/req | promoted B/req | pause µs/req | concurrent marking µs/req |\n|---|---:|---|---:|---:|---:|---:|');
    for (const spec of specs) {
      const { label, env } = parseVariant(spec, capture.url);
      const port = await freePort();
      const app = spawn(process.execPath, ['--trace-gc-nvp', '-r', './dist/observability/apm-start.js', 'dist/main.js'], {
        cwd: APP_DIR,
        env: { PATH: process.env.PATH, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: databaseUrl, WEB_CONCURRENCY: '1', LOG_LEVEL: 'error', ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const lines: string[] = [];
      let partial = '';
      app.stdout.on('data', (chunk: Buffer) => {
        const parts = (partial + chunk.toString('utf8')).split('\n');
        partial = parts.pop()!;
        lines.push(...parts);
      });
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 300 && !(await fetch(`${url}/readyz`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
      const load = {
        url: `${url}/api/medications${endpoint === 'list' ? '?limit=20' : ''}`,
        connections: 16,
        threads: 1,
        ...(endpoint === 'create' ? { postJson: JSON.stringify({ name: 'Bench', strength: 5, unit: 'mg', form: 'tablet' }) } : {}),
      };
      await runWrk({ ...load, durationS: 2 });
      const from = lines.length;
      const result = await runWrk({ ...load, durationS: 5 });
      const { sums, kinds } = sumGcLines(lines.slice(from));
      await new Promise((resolve) => (app.once('exit', resolve), app.kill('SIGTERM')));
      const per = (value: number, scale = 1) => ((value * scale) / result.requests).toFixed(0);
      console.log(
        `| ${label} | ${result.requests} | ${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')} | ${per(sums.allocated)} | ${per(sums.promoted)} | ${per(sums.pause, 1000)} | ${per(sums['background.mark'], 1000)} |`,
      );
    }
  } finally {
    await capture.close();
    await stopPostgres();
  }
}

await main();
