// `npm run kibana`: SSM port forwarding from a free local port to Kibana on the box's loopback.

import { connect, createServer } from 'node:net';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { envNames } from '../core/names.js';
import { KIBANA_PORT } from './layout.js';
import { assertSessionTools, endedNormally, portForwardArgs, sessionFailure, type SessionDeps, type SessionTarget } from './session-manager.js';

/** Resolves with the port a listener on 127.0.0.1 got, or rejects with the bind error. */
function tryListen(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * The preferred port when free, else one the OS picks. It is released again before the
 * plugin binds it; another program could take it in between, and the plugin then says
 * so and exits (rare, and a rerun fixes it).
 */
export async function pickLocalPort(preferred: number): Promise<number> {
  try {
    return await tryListen(preferred);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    return tryListen(0);
  }
}

/** How to read the `elastic` password without it ever passing through pillbox. */
export const passwordCommand = (env: string, region: string): string =>
  `aws ssm get-parameter --region ${region} --with-decryption --name ${envNames(env).secretParameter('ELASTIC_PASSWORD')} --query Parameter.Value --output text`;

/** Resolves true once something accepts connections on 127.0.0.1:port, false after `timeoutMs` or when `signal` aborts. */
export async function waitForLocalPort(port: number, signal?: AbortSignal, timeoutMs = 60_000, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!signal?.aborted) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return true;
    if (Date.now() >= deadline) return false;
    await sleepFor(everyMs, undefined, { signal }).catch(() => undefined);
  }
  return false;
}

export interface KibanaDeps extends SessionDeps {
  pickPort: (preferred: number) => Promise<number>;
  /** Whether the forward's local port came up; only asked when there is something to do then. */
  waitForPort?: (port: number, signal: AbortSignal) => Promise<boolean>;
}

export interface ForwardOptions {
  /** The password line, worked out once the tools are there; by default the command that reads it, so it never passes through pillbox. */
  password?: () => Promise<string>;
  /** Runs while the forward is up, once its local port accepts connections (or did not in time). */
  onListening?: (baseUrl: string, listening: boolean) => Promise<void>;
}

/** Forwards until Ctrl-C; the URL and login are printed before the plugin takes the terminal. */
export async function forwardKibana(
  { probe, spawn, print, pickPort, waitForPort = waitForLocalPort }: KibanaDeps,
  target: SessionTarget,
  env: string,
  preferredPort: number,
  { password, onListening }: ForwardOptions = {},
): Promise<void> {
  await assertSessionTools(probe);
  const port = await pickPort(preferredPort);
  const passwordLine = password ? await password() : passwordCommand(env, target.region);
  const baseUrl = `http://localhost:${port}`;
  print(
    [
      `Kibana of "${env}": ${baseUrl}`,
      `  user      elastic`,
      `  password  ${passwordLine}`,
      `Forwarding through SSM until Ctrl-C. Right after provision Kibana may need a few minutes (docs/runbook.md, "Kibana not ready").`,
      '',
    ].join('\n'),
  );
  const forwarding = spawn('aws', portForwardArgs(target, KIBANA_PORT, port));
  if (onListening) {
    // Whichever comes first: the port opens, or the forward ends (AWS refused it, or Ctrl-C), which also stops the wait.
    const settled = new AbortController();
    const ended = forwarding.then(
      () => 'ended' as const,
      () => 'ended' as const,
    );
    void ended.then(() => settled.abort());
    const outcome = await Promise.race([waitForPort(port, settled.signal), ended]);
    if (outcome !== 'ended') await onListening(baseUrl, outcome);
  }
  const end = await forwarding;
  if (!endedNormally(end)) throw sessionFailure(end, target.instanceId);
}
