import { Router } from 'express';

export interface Readiness {
  /** Resolves when the database answers and the schema is current; rejects or returns a reason otherwise. */
  check(): Promise<string | null>;
}

export function healthRoutes(readiness: Readiness): Router {
  const router = Router();
  // Liveness does no I/O: a slow database must not get healthy workers restarted.
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const reason = await readiness.check().catch((err: Error) => `database unreachable: ${err.message}`);
    res.set('Cache-Control', 'no-store');
    if (reason) res.status(503).json({ status: 'unavailable', reason });
    else res.json({ status: 'ready' });
  });
  return router;
}
