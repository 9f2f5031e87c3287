// `npx tsx bench/profile.ts list|create [VAR=value ...]`: one pillbox worker under wrk load with
// --cpu-prof, then where its CPU went during the measured load: self time by package and the heaviest
// functions, then per package with the runtime work it called (PROFILE_PACKAGE's functions listed).
// Look here before optimising: a guess about what is slow is usually wrong.
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { migrate } from '../app/src/db/migrate.js';
import { createSequelize } from '../app/src/db/sequelize.js';
import { startApmCapture } from '../tests/support/apm-capture.js';
import { startAppProcess } from '../tests/support/app-process.js';
import { freshDatabase, stopPostgres } from '../tests/support/postgres.js';
import { cpuSeconds } from './process-tree.js';
import { runWrk } from './wrk.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Both V8's profile timestamps and process.hrtime read CLOCK_MONOTONIC, in µs and ns. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** The package a frame belongs to (`express`, `@elastic/ecs-pino-format`), `app`, `node:` internals, or V8's own. */
function owner(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url.split('/')[0]!.replace(/^node:internal/, 'node');
  return url.includes('/app/dist/') ? 'app' : url;
}

/** Self time of the samples taken between `fromUs` and `toUs` only: start-up and shutdown are left out. */
function summarise(profile: CpuProfile, window: { fromUs: number; toUs: number; requests: number }, top = Number(process.env.PROFILE_TOP ?? 25)) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= window.fromUs && at <= window.toUs) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const busy = total - [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const line = (k: string, us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / window.requests).toFixed(1).padStart(6)} µs/req  ${k}`;
  const group = (key: (n: ProfileNode) => string) => {
    const sums = new Map<string, number>();
    for (const [id, us] of selfUs) {
      const node = byId.get(id)!;
      if (node.callFrame.functionName === '(idle)') continue;
      sums.set(key(node), (sums.get(key(node)) ?? 0) + us);
    }
    return [...sums].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => line(k, us));
  };
  // Charged: node internals and natives counted to the nearest package frame that called them, so a
  // package's cost includes the Buffer, timers and events work it asks for (GC has no stack: left out).
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const isRuntime = (o: string) => o === '(native)' || o.startsWith('node');
  const charged = new Map<string, number>();
  const chargedFunctions = new Map<string, number>();
  const pkg = process.env.PROFILE_PACKAGE ?? 'elastic-apm-node';
  for (const [id, us] of selfUs) {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const o = owner(frame.url, frame.functionName);
      if (isRuntime(o) && parent.get(at) !== undefined) continue;
      charged.set(o, (charged.get(o) ?? 0) + us);
      if (o === pkg) {
        const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/.*node_modules\//, '')}:${frame.lineNumber + 1}`;
        chargedFunctions.set(key, (chargedFunctions.get(key) ?? 0) + us);
      }
      break;
    }
  }
  const ranked = (m: Map<string, number>) => [...m].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => line(k, us));
  return {
    charged: [...ranked(charged), '', `${pkg}, by function`, ...ranked(chargedFunctions)],
    busyShare: busy / total,
    packages: group((n) => owner(n.callFrame.url, n.callFrame.functionName)),
    functions: group((n) => `${n.callFrame.functionName || '(anonymous)'} ${owner(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1}`),
  };
}

async function main(): Promise<void> {
  const [endpoint = 'list', ...assignments] = process.argv.slice(2);
  const extraEnv = Object.fromEntries(assignments.map((a) => a.split(/=(.*)/s).slice(0, 2) as [string, string]));
  const capture = await startApmCapture(0, { keepEvents: false });
  const dir = await mkdtemp(join(tmpdir(), 'pillbox-profile-'));
  try {
    const databaseUrl = await freshDatabase('profile');
    const sequelize = createSequelize(databaseUrl, 1);
    await migrate(databaseUrl, sequelize, pino({ level: 'silent' }));
    await sequelize.query(`INSERT INTO medications (name, strength, unit) SELECT 'Medication ' || i, 1, 'mg' FROM generate_series(1, 10000) AS i`);
    await sequelize.close();
    const env = Object.fromEntries(Object.entries(extraEnv).map(([k, v]) => [k, v.replace('$APM', capture.url)]));
    const app = await startAppProcess(
      { DATABASE_URL: databaseUrl, WEB_CONCURRENCY: '1', NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`, ...env },
      { captureLogs: false },
    );
    const load = {
      url: `${app.url}/api/medications${endpoint === 'list' ? '?limit=20' : ''}`,
      connections: 16,
      threads: 1,
      ...(endpoint === 'create' ? { postJson: JSON.stringify({ name: 'Bench', strength: 5, unit: 'mg', form: 'tablet' }) } : {}),
    };
    await runWrk({ ...load, durationS: 2 });
    const workerPid = Number((await readFile(`/proc/${app.child.pid}/task/${app.child.pid}/children`, 'utf8')).trim().split(/\s+/)[0]);
    const before = await cpuSeconds(workerPid);
    const fromUs = monotonicUs();
    const result = await runWrk({ ...load, durationS: 10 });
    const toUs = monotonicUs();
    const cpuPerRequestUs = ((await cpuSeconds(workerPid)) - before) / result.requests * 1e6;
    await app.stop();
    console.log(`${endpoint} with ${JSON.stringify(extraEnv)}: ${Math.round(result.rps)} req/s on one worker, ${cpuPerRequestUs.toFixed(0)} µs of worker CPU per request (all threads)`);
    // The worker's profile is the larger of the two (the primary idles).
    const files = await Promise.all((await readdir(dir)).map(async (f) => (await readFile(join(dir, f), 'utf8'))));
    const worker = files.sort((a, b) => b.length - a.length)[0]!;
    const { busyShare, packages, functions, charged } = summarise(JSON.parse(worker) as CpuProfile, { fromUs, toUs, requests: result.requests });
    console.log(`worker busy ${(busyShare * 100).toFixed(0)}% of the time; self time of the busy part while under measured load (share, and µs per request):\n\nby package\n${packages.join('\n')}\n\nby function\n${functions.join('\n')}\n\nby package, with the node internals and natives each package called\n${charged.join('\n')}`);
  } finally {
    await capture.close();
    await stopPostgres();
  }
}

await main();
