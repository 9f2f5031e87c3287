import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The HTML pages: helmet's full set with a CSP written out in full rather than on top of helmet's
 * defaults (which allow inline styles, any https: stylesheet and data: images). The pages load
 * one stylesheet from this origin and nothing else: no scripts, no plugins, forms post back here.
 * No upgrade-insecure-requests: the app itself serves plain HTTP (`npm start`, behind the edge proxy).
 * Referrer-Policy same-origin rather than helmet's no-referrer: under no-referrer a browser sends `Origin: null` on
 * the form's own POST, and a browser without Fetch Metadata would then look cross-site (cross-site-writes.ts).
 */
export const pageSecurityHeaders = () =>
  helmet({
    strictTransportSecurity: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'"],
        objectSrc: ["'none'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
      },
    },
    referrerPolicy: { policy: 'same-origin' },
  });

/**
 * JSON responses: the headers OWASP's REST Security Cheat Sheet lists for APIs (nosniff, a deny-all
 * CSP, no framing, no referrer; HSTS below). The rest of helmet's set only matters to documents
 * a browser renders, and each header costs every request of the hot paths.
 */
export const apiSecurityHeaders = () =>
  helmet({
    strictTransportSecurity: false,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
    originAgentCluster: false,
    referrerPolicy: { policy: 'no-referrer' },
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: { action: 'deny' },
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });

/**
 * HSTS on HTTPS responses only (RFC 6797 §7.2: a host must not send it over plain HTTP), so
 * `http://localhost` never pins a developer's browser to HTTPS. Behind the edge `req.secure` reads
 * X-Forwarded-Proto, believed from TRUST_PROXY's addresses only.
 */
export const hstsOnHttps = (): RequestHandler => {
  const hsts = helmet.strictTransportSecurity();
  return (req, res, next) => (req.secure ? hsts(req, res, next) : next());
};
