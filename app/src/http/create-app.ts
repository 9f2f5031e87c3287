import express, { type Express } from 'express';
import { medicationRoutes } from '../medications/medication-routes';
import type { MedicationRepository } from '../medications/medication-repository';
import { pageRoutes } from '../medications/page-routes';
import type { Logger } from '../observability/logger';
import { requestLog } from '../observability/request-log';
import { refuseCrossSiteWrites } from './cross-site-writes';
import { healthRoutes, type Readiness } from './health-routes';
import { notFoundHandler, problemHandler } from './problem';
import { problemTypeRoutes } from './problem-pages';
import { apiSecurityHeaders, hstsOnHttps, pageSecurityHeaders } from './security-headers';
import { requireWriteCredential } from './write-credential';

export interface AppDeps {
  repository: MedicationRepository;
  readiness: Readiness;
  logger: Logger;
  bodyLimit: number;
  /** Addresses or CIDR ranges of the proxies in front (TRUST_PROXY); empty trusts none. */
  trustProxy: readonly string[];
  /** Passwords a write must carry (WRITE_PASSWORDS); empty leaves writes open. */
  writePasswords: readonly string[];
}

export function createApp({ repository, readiness, logger, bodyLimit, trustProxy, writePasswords }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // req.ip and req.protocol come from X-Forwarded-* only when the peer is one of these proxies, never from anyone.
  app.set('trust proxy', trustProxy.length > 0 ? [...trustProxy] : false);

  app.use(healthRoutes(readiness));
  app.use(requestLog(logger));
  app.use(hstsOnHttps());
  // Checked before any body is read: a write from another site or without the password costs no parsing.
  const writeGuard = [refuseCrossSiteWrites(), requireWriteCredential(writePasswords)];
  // The API's error handler sits under its mount path, where the request log still sees the route.
  app.use(
    '/api/medications',
    apiSecurityHeaders(),
    writeGuard,
    express.json({ limit: bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }),
    medicationRoutes(repository),
    problemHandler(logger),
  );
  app.use(pageSecurityHeaders(), pageRoutes(repository, bodyLimit, logger, writeGuard));
  app.use('/problems', problemTypeRoutes());
  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  return app;
}
