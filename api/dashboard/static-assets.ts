import { readdirSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'koa';
import { NotFound } from '../../shared/errors.js';

/**
 * bull-board's page assets (scripts, styles, locales, images), served from a table made once at
 * start-up of the files its UI package ships, keyed by their path below `static/`. A Map: a name
 * taken from the URL only ever finds one of those files, never an inherited member
 * (`constructor`, `__proto__`...) nor another file (`..`, encoded separators, NUL bytes), and
 * anything else is the API's JSON 404. It stands in for bull-board's own koa-static, whose
 * answers to such names were its own error shape and whose errors were logged with file paths.
 */
export class StaticAssets {
  private readonly files: ReadonlyMap<string, string>;

  constructor(dir: string) {
    const files = new Map<string, string>();
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      files.set(path.relative(dir, file).split(path.sep).join('/'), file);
    }
    this.files = files;
  }

  /** Answers `name` (the URL path below `static/`, still percent-encoded) or throws NotFound. */
  async serve(ctx: Context, name: string): Promise<void> {
    const file = this.files.get(decoded(name) ?? '');
    if (file === undefined) throw new NotFound('Dashboard asset');
    // Opened before answering: a failure is the error handler's 500, not a stream that breaks
    // after the headers went out.
    const handle = ctx.method === 'HEAD' ? null : await open(file);
    let size: number;
    let mtime: Date;
    try {
      ({ size, mtime } = handle ? await handle.stat() : await stat(file));
    } catch (err) {
      await handle?.close();
      throw err;
    }
    ctx.type = path.extname(file);
    ctx.body = handle ? handle.createReadStream() : '';
    ctx.length = size;
    ctx.lastModified = mtime;
    ctx.set('Cache-Control', 'max-age=0');
  }
}

function decoded(name: string): string | null {
  try {
    return decodeURIComponent(name);
  } catch {
    return null;
  }
}
