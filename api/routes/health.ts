import Router from '@koa/router';
import type { ApiDeps, AppState } from '../context.js';

const CHECK_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<'ok' | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch {
    return 'unavailable'; // the status is the answer; the readiness body says which one
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness says the process runs; readiness says it can serve (PostgreSQL and Redis answer). */
export function healthRoutes(deps: ApiDeps): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/health' });
  router.get('/live', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async (ctx) => {
    const [postgres, redis] = await Promise.all([
      probe(() => deps.sequelize.query('SELECT 1')),
      probe(() => deps.redis.ping()),
    ]);
    const ready = postgres === 'ok' && redis === 'ok';
    ctx.status = ready ? 200 : 503;
    if (!ready) ctx.set('Retry-After', '5');
    ctx.body = { status: ready ? 'ok' : 'unavailable', checks: { postgres, redis } };
  });
  return router;
}
