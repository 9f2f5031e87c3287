import helmet from 'helmet';

/**
 * The HTML page: helmet's full set with a strict CSP (no scripts at all, forms post back here).
 * The box serves plain HTTP, so the CSP must not ask browsers to upgrade requests to HTTPS.
 */
export const pageSecurityHeaders = () =>
  helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
  });

/**
 * JSON responses: the headers OWASP's REST Security Cheat Sheet lists for APIs (nosniff, HSTS,
 * a deny-all CSP, no framing, no referrer). The rest of helmet's set only matters to documents
 * a browser renders, and each header costs every request of the hot paths.
 */
export const apiSecurityHeaders = () =>
  helmet({
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
