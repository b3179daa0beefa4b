import { open } from 'node:fs/promises';
import path from 'node:path';
import Router from '@koa/router';
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path.js';
import { NotFound } from '../../shared/errors.js';
import type { AppState } from '../context.js';
import { openApiDocument } from './document.js';

// No CDN: the browser loads Swagger UI from this server, straight out of swagger-ui-dist.
const DIST = getAbsoluteFSPath();
/**
 * The files served, by name, with their types. A Map, not an object literal: a lookup of a name
 * taken from the URL must find own entries only, never `constructor`, `__proto__`, `toString`...
 * inherited from Object.prototype.
 */
const STATIC_ASSETS: ReadonlyMap<string, string> = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['favicon-32x32.png', 'image/png'],
]);

// Its own script rather than an inline one, so a strict Content-Security-Policy can still allow it.
const INITIALIZER = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Evently API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-initializer.js"></script>
</body>
</html>
`;

/** The API's own description: `/openapi.json`, and Swagger UI over it at `/docs`. */
export function docsRoutes(): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/openapi.json', (ctx) => {
    ctx.body = openApiDocument;
  });

  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });

  router.get('/docs/:asset', async (ctx) => {
    const { asset } = ctx.params;
    if (asset === 'swagger-initializer.js') {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.body = INITIALIZER;
      return;
    }
    // A fixed list of names, so a request can never reach another file of the package.
    const type = asset === undefined ? undefined : STATIC_ASSETS.get(asset);
    if (asset === undefined || type === undefined) throw new NotFound('Docs asset');
    // Opened before answering: a failure is then the error handler's 500 (logged once, nothing
    // of it sent), never a stream that breaks after the headers went out.
    const file = await open(path.join(DIST, asset));
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.type = type;
    ctx.body = file.createReadStream();
  });

  return router;
}
