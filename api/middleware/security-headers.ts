import type { Middleware } from 'koa';
import helmet from 'koa-helmet';

/**
 * helmet's headers on every answer (nosniff, no framing, no referrer, HSTS, ...). The API itself
 * is JSON, but two HTML pages are served too, and the policy is written for them: Swagger UI at
 * /docs and bull-board under /admin/queues load their scripts and styles from this server only
 * (Swagger UI's initializer is a file, not an inline script); bull-board adds inline styles
 * (its page is served without the Google Fonts link it ships: nothing comes from elsewhere). A page with stricter needs (the admin sign-in form) sets its own policy.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  fontSrc: ["'self'", 'data:'],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export function securityHeaders(): Middleware {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      // Not `upgrade-insecure-requests`: over plain http (a local run, docker compose on a LAN
      // address) it would send the pages' own same-origin assets to https, where nothing listens.
      directives: CONTENT_SECURITY_POLICY,
    },
    // Not helmet's `no-referrer`: with it, browsers send `Origin: null` on same-origin posts, and
    // the sign-in form and cookie-authenticated requests must show this Origin (same-origin.ts).
    // Nothing leaves the site.
    referrerPolicy: { policy: 'same-origin' },
  });
}
