// Drives load with wrk (Debian package `wrk`): a C load generator that takes a small share of the
// CPU the server needs, where autocannon (Node) took about as much as the server itself.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface Load {
  url: string;
  durationS: number;
  connections: number;
  threads: number;
  /** A JSON body to POST; GET when absent. */
  postJson?: string;
  /** The Authorization header of the POSTs (the app's write password). */
  authorization?: string;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx/3xx responses, socket errors and timeouts. */
  failures: number;
}

const run = promisify(execFile);
const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

async function postScript(body: string, authorization?: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'pillbox-wrk-')), 'post.lua');
  const auth = authorization ? `wrk.headers["Authorization"] = ${JSON.stringify(authorization)}\n` : '';
  await writeFile(file, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n${auth}`, { mode: 0o600 });
  return file;
}

/** Reads wrk's text report (with --latency); every figure used must be present. */
export function parseWrk(output: string): LoadResult {
  const number = (pattern: RegExp) => {
    const match = pattern.exec(output);
    if (!match) throw new Error(`wrk output has no ${pattern}: ${output}`);
    return match;
  };
  const latency = (percentile: string) => {
    const [, value, unit] = number(new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm'));
    return Number(value) * UNIT_MS[unit!]!;
  };
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    rps: Number(number(/^Requests\/sec:\s+([\d.]+)/m)[1]),
    p50Ms: latency('50'),
    p99Ms: latency('99'),
    requests: Number(number(/^\s+(\d+) requests in/m)[1]),
    failures: Number(non2xx?.[1] ?? 0) + socketErrors,
  };
}

export async function runWrk(load: Load): Promise<LoadResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(load.url)) throw new Error(`load only ever targets 127.0.0.1, not ${load.url}`);
  const args = ['--latency', `-t${load.threads}`, `-c${load.connections}`, `-d${load.durationS}s`, '--timeout', '5s'];
  if (load.postJson) args.push('-s', await postScript(load.postJson, load.authorization));
  const { stdout } = await run('wrk', [...args, load.url]);
  return parseWrk(stdout);
}
