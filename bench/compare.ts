// `npx tsx bench/compare.ts list|create 'label:VAR=value,VAR=value' ...`: several pillbox variants, one
// worker each, all started at once, then loaded in turn (A B C, A B C, ...) for a few rounds. Prints the
// worker's CPU per request for each: on a busy machine, CPU per request moves far less than req/s,
// and interleaving spreads any slowdown over every variant. `$APM` in a value is the capture's URL.
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { migrate } from '../app/src/db/migrate.js';
import { createSequelize } from '../app/src/db/sequelize.js';
import { startApmCapture } from '../tests/support/apm-capture.js';
import { startAppProcess, type AppProcess } from '../tests/support/app-process.js';
import { freshDatabase, stopPostgres } from '../tests/support/postgres.js';
import { cpuSeconds } from './process-tree.js';
import { parseVariant, type Variant } from './variant.js';
import { runWrk } from './wrk.js';

const ROUNDS = Number(process.env.COMPARE_ROUNDS ?? 4);
const DURATION_S = Number(process.env.COMPARE_DURATION_S ?? 4);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function workerPid(app: AppProcess): Promise<number> {
  const pid = app.child.pid!;
  return Number((await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/)[0]);
}

async function main(): Promise<void> {
  const [endpoint = 'list', ...specs] = process.argv.slice(2);
  const capture = await startApmCapture(0, { keepEvents: false });
  const apps: Array<{ variant: Variant; app: AppProcess; worker: number; cpuUs: number[]; rps: number[] }> = [];
  try {
    const databaseUrl = await freshDatabase('compare');
    const sequelize = createSequelize(databaseUrl, 1);
    await migrate(databaseUrl, sequelize, pino({ level: 'silent' }));
    await sequelize.query(`INSERT INTO medications (name, strength, unit) SELECT 'Medication ' || i, 1, 'mg' FROM generate_series(1, 10000) AS i`);
    await sequelize.close();
    for (const spec of specs) {
      const variant = parseVariant(spec, capture.url);
      const app = await startAppProcess({ DATABASE_URL: databaseUrl, WEB_CONCURRENCY: '1', LOG_LEVEL: 'info', ...variant.env }, { captureLogs: false });
      apps.push({ variant, app, worker: await workerPid(app), cpuUs: [], rps: [] });
    }
    const load = (url: string) => ({
      url: `${url}/api/medications${endpoint === 'list' ? '?limit=20' : ''}`,
      connections: 16,
      threads: 1,
      ...(endpoint === 'create' ? { postJson: JSON.stringify({ name: 'Bench', strength: 5, unit: 'mg', form: 'tablet' }) } : {}),
    });
    for (const a of apps) await runWrk({ ...load(a.app.url), durationS: 2 }); // JIT, pools, the agent's connection
    for (let round = 0; round < ROUNDS; round++) {
      for (const a of apps) {
        const before = await cpuSeconds(a.worker);
        const result = await runWrk({ ...load(a.app.url), durationS: DURATION_S });
        a.cpuUs.push((((await cpuSeconds(a.worker)) - before) / result.requests) * 1e6);
        a.rps.push(result.rps);
      }
    }
    const base = median(apps[0]!.cpuUs);
    console.log(`${endpoint}: worker CPU per request, median of ${ROUNDS} interleaved rounds of ${DURATION_S} s\n`);
    console.log('| variant | µs/request | vs first | rounds (µs) | req/s (median) |\n|---|---:|---:|---|---:|');
    for (const a of apps) {
      const us = median(a.cpuUs);
      console.log(`| ${a.variant.label} | ${us.toFixed(0)} | ${((us / base - 1) * 100).toFixed(0)}% | ${a.cpuUs.map((v) => v.toFixed(0)).join(' ')} | ${median(a.rps).toFixed(0)} |`);
    }
  } finally {
    await Promise.all(apps.map((a) => a.app.stop()));
    await capture.close();
    await stopPostgres();
  }
}

await main();
