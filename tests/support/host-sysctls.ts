// A compose service's namespaced sysctls, given to this machine's network namespace while a test runs the service's
// process on loopback (as root, like CI), then put back.
import { readFile, writeFile } from 'node:fs/promises';

const procPath = (key: string): string => `/proc/sys/${key.replaceAll('.', '/')}`;

/** Applies each setting and returns what puts the previous values back; throws naming a key it cannot set. */
export async function applyHostSysctls(settings: Readonly<Record<string, string | number>>): Promise<() => Promise<void>> {
  const previous: [string, string][] = [];
  const restore = async () => {
    for (const [key, value] of previous.reverse()) await writeFile(procPath(key), value);
  };
  for (const [key, value] of Object.entries(settings)) {
    try {
      previous.push([key, (await readFile(procPath(key), 'utf8')).trim()]);
      await writeFile(procPath(key), String(value));
    } catch (err) {
      await restore();
      throw new Error(`cannot set ${key}=${value} on this machine (${(err as Error).message}); the test needs root, like CI`);
    }
  }
  return restore;
}
