// A local port for SSM port forwarding: the preferred one when it is free, else any free one.

import { createServer } from 'node:net';

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
 * The port is released again before the plugin binds it; another program could take
 * it in between, and the plugin then says so and exits (rare, and a rerun fixes it).
 */
export async function pickLocalPort(preferred: number): Promise<number> {
  try {
    return await tryListen(preferred);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
    return tryListen(0);
  }
}
