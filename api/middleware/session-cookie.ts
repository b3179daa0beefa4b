import type { Context } from 'koa';

/** Holds an access token for the browser pages under /admin (the console and the queue dashboard). */
export const ADMIN_SESSION_COOKIE = 'evently_admin';
/** The cookie's `Path`: browsers send it to these paths only, and only these paths accept it. */
export const ADMIN_SESSION_PATH = '/admin';

/**
 * The cookie is HttpOnly (no script reads it) and SameSite=Strict, so a browser never sends it
 * with a request another site started. That is not all of CSRF: a same-site page (another port
 * of this host, a sibling subdomain) does get it sent, so every state-changing request carrying
 * it must also come from this origin (api/middleware/same-origin.ts). Path keeps it off every
 * other route of the API, which accepts bearer tokens only.
 */
export function adminSessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  // Written by hand: koa's cookies refuse `Secure` unless the app trusts a TLS-terminating proxy.
  return [
    `${ADMIN_SESSION_COOKIE}=${token}`,
    `Path=${ADMIN_SESSION_PATH}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export const expiredAdminSessionCookie = (secure: boolean) => adminSessionCookie('', 0, secure);

/** Whether the request carries the admin session cookie (even an empty or stale one). */
export const carriesSessionCookie = (ctx: Context): boolean =>
  ctx.cookies.get(ADMIN_SESSION_COOKIE) !== undefined;

/**
 * The session cookie's token, where it counts as a credential: on the paths the browser sends it
 * to (RFC 6265 path-match of `ADMIN_SESSION_PATH`), so the API takes it exactly where its `Path`
 * puts it and nowhere else, even from a client that sends it everywhere.
 */
export function sessionToken(ctx: Context): string | undefined {
  const within = ctx.path === ADMIN_SESSION_PATH || ctx.path.startsWith(`${ADMIN_SESSION_PATH}/`);
  return within ? ctx.cookies.get(ADMIN_SESSION_COOKIE) || undefined : undefined;
}
