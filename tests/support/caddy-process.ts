// Debian's Caddy running the project's Caddyfile as a real process, with the settings the compose service
// gives it in the image, adjusted for loopback: ports, upstream addresses, data directory and ACME CA.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../compose/compose-files.js';

const CADDYFILE = `${ROOT}compose/caddy/Caddyfile`;

export interface CaddyProcess {
  /** XDG_DATA_HOME: certificates under caddy/, the route file under pillbox/. */
  dataDir: string;
  adminUrl: string;
  logs(): string;
  stop(): Promise<void>;
}

async function untilAdminAnswers(url: string, exited: () => boolean, logs: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (exited()) break;
    if (await fetch(`${url}/config/`).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`caddy did not start:\n${logs().slice(-3000)}`);
}

/** `env` holds every variable the Caddyfile reads (see the caddy service in compose.yaml). */
export async function startCaddy(env: Record<string, string>): Promise<CaddyProcess> {
  const home = mkdtempSync(join(tmpdir(), 'pillbox-caddy-'));
  const dataDir = join(home, 'data');
  const adminUrl = `http://${env.PILLBOX_CADDY_ADMIN}`;
  const child = spawn('caddy', ['run', '--config', CADDYFILE, '--adapter', 'caddyfile'], {
    env: { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: dataDir, XDG_CONFIG_HOME: join(home, 'config'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await untilAdminAnswers(adminUrl, () => child.exitCode !== null, () => output);
  return {
    dataDir,
    adminUrl,
    logs: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(home, { recursive: true, force: true });
    },
  };
}
