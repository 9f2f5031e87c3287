// Debian's `cloud-init schema` on a user-data text; CI installs the cloud-init package, so a missing binary fails.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the validator prints (`Valid cloud-config: ...`); throws when it rejects the text. */
export function cloudInitSchema(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pillbox-user-data-'));
  try {
    const path = join(dir, 'user-data.yaml');
    writeFileSync(path, text);
    return execFileSync('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
