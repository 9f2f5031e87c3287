// `npm run kibana`: SSM port forwarding from a free local port to Kibana on the box's loopback.

import { createServer } from 'node:net';
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

export interface KibanaDeps extends SessionDeps {
  pickPort: (preferred: number) => Promise<number>;
}

/** Forwards until Ctrl-C; the URL and login are printed before the plugin takes the terminal. */
export async function forwardKibana({ probe, spawn, print, pickPort }: KibanaDeps, target: SessionTarget, env: string, preferredPort: number): Promise<void> {
  await assertSessionTools(probe);
  const port = await pickPort(preferredPort);
  print(
    [
      `Kibana of "${env}": http://localhost:${port}`,
      `  user      elastic`,
      `  password  ${passwordCommand(env, target.region)}`,
      `Forwarding through SSM until Ctrl-C. Right after provision Kibana may need a few minutes (docs/runbook.md, "Kibana not ready").`,
      '',
    ].join('\n'),
  );
  const end = await spawn('aws', portForwardArgs(target, KIBANA_PORT, port));
  if (!endedNormally(end)) throw sessionFailure(end, target.instanceId);
}
