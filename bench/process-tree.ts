// Memory and CPU time of a process tree (a cluster primary and its workers), read from /proc.
import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';

export interface MemoryPeak {
  /** Proportional set size: shared pages (the node binary, libraries) split between the processes. */
  pssMiB: number;
  rssMiB: number;
  processes: number;
}

async function descendants(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children = (
    await Promise.all(tasks.map((task) => readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')))
  )
    .join(' ')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  return [pid, ...(await Promise.all(children.map(descendants))).flat()];
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** CPU seconds (user + system, every thread) the tree has used so far. */
export async function cpuSeconds(rootPid: number): Promise<number> {
  const stats = await Promise.all((await descendants(rootPid)).map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null)));
  const ticks = stats.map((stat) => {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat?.slice(stat.lastIndexOf(') ') + 2).split(' ') ?? [];
    return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  });
  return ticks.reduce((a, b) => a + b, 0) / CLOCK_TICKS_PER_SECOND;
}

async function rollup(pid: number): Promise<{ pss: number; rss: number } | null> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => null);
  if (!text) return null;
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { pss: kib('Pss'), rss: kib('Rss') };
}

/** Samples the tree every `intervalMs` until stopped; returns the highest total seen. */
export function watchMemory(rootPid: number, intervalMs = 200) {
  const peak: MemoryPeak = { pssMiB: 0, rssMiB: 0, processes: 0 };
  let sampling = Promise.resolve();
  const sample = async () => {
    const pids = await descendants(rootPid);
    const usage = (await Promise.all(pids.map(rollup))).filter((u) => u !== null);
    const pss = usage.reduce((sum, u) => sum + u.pss, 0) / 1024;
    if (pss > peak.pssMiB) {
      peak.pssMiB = pss;
      peak.rssMiB = usage.reduce((sum, u) => sum + u.rss, 0) / 1024;
      peak.processes = usage.length;
    }
  };
  const timer = setInterval(() => (sampling = sampling.then(sample)), intervalMs);
  return {
    async stop(): Promise<MemoryPeak> {
      clearInterval(timer);
      await sampling.then(sample);
      return { ...peak };
    },
  };
}
