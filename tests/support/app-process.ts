// The compiled app as a real process tree (primary + workers), the way `npm start` runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './postgres.js';

const APP_DIR = fileURLToPath(new URL('../../app/', import.meta.url));

export interface AppProcess {
  url: string;
  child: ChildProcess;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
  /** Everything written to stderr so far. */
  stderr(): string;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** Wait until the app serves (default true). */
  waitReady?: boolean;
  /** Parse stdout into `logs` (default true); a benchmark sends it to /dev/null so parsing costs it nothing. */
  captureLogs?: boolean;
  /** Lead its own process group, so a test can signal the whole tree as a terminal's Ctrl-C does. */
  ownProcessGroup?: boolean;
}

async function untilReady(url: string, app: { exitCode: number | null }): Promise<void> {
  for (let i = 0; i < 300 && app.exitCode === null; i++) {
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app at ${url} did not become ready`);
}

export async function startAppProcess(env: Record<string, string>, options: StartOptions = {}): Promise<AppProcess> {
  const captureLogs = options.captureLogs ?? true;
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, ['-r', './dist/observability/apm-start.js', 'dist/main.js'], {
    cwd: APP_DIR,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', captureLogs ? 'pipe' : 'ignore', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ message: line });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const wake of waiters) wake();
      resolve({ code, signal });
    }),
  );

  const waitForLog: AppProcess['waitForLog'] = (predicate, timeoutMs = 20_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = logs.find(predicate);
        if (found) return done(() => resolve(found));
        if (child.exitCode !== null || child.signalCode !== null) {
          return done(() => reject(new Error(`app exited (${child.exitCode ?? child.signalCode}): ${stderr.slice(-2000)}`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`log line not seen within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`))), timeoutMs);
      const done = (finish: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        finish();
      };
      waiters.add(check);
      check();
    });

  const app: AppProcess = {
    url: `http://127.0.0.1:${port}`,
    child,
    logs,
    stderr: () => stderr,
    waitForLog,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady === false) return app;
  if (captureLogs) await waitForLog((l) => l.message === 'pillbox is listening');
  else await untilReady(app.url, child);
  return app;
}
