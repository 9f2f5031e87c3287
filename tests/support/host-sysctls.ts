// A compose service's namespaced sysctls, given to this machine's network namespace while a test runs the service's
// process on loopback, then put back. A value already in place is left alone, so a read-only /proc/sys (an
// unprivileged container started with the same --sysctl, as CI's) needs no write.
import { readFile, writeFile } from 'node:fs/promises';

const procPath = (key: string): string => `/proc/sys/${key.replaceAll('.', '/')}`;

export interface HostSysctls {
  /** The settings this machine could not be given (not root, or /proc/sys read-only), with why. */
  missing: string[];
  /** Puts back what was changed. */
  restore(): Promise<void>;
}

export async function applyHostSysctls(settings: Readonly<Record<string, string | number>>): Promise<HostSysctls> {
  const changed: [string, string][] = [];
  const missing: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    try {
      const before = (await readFile(procPath(key), 'utf8')).trim();
      if (before === String(value)) continue;
      await writeFile(procPath(key), String(value));
      changed.push([key, before]);
    } catch (err) {
      missing.push(`${key}=${value} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  return {
    missing,
    async restore() {
      const failed: string[] = [];
      for (const [key, value] of changed.reverse()) await writeFile(procPath(key), value).catch(() => failed.push(key));
      changed.length = 0;
      if (failed.length > 0) throw new Error(`could not put back ${failed.join(', ')} on this machine`);
    },
  };
}
