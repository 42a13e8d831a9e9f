import { readFile, readdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

interface StaticFile {
  type: string;
  body: Buffer;
  gzipped: Buffer | undefined;
  immutable: boolean;
}

/**
 * The built pages (dist/: index.html and hashed assets), read into memory once at start and
 * gzipped there. Asset names carry a content hash, so they are cached for a year; index.html is
 * revalidated. Any other GET path answers index.html: the pages route themselves.
 */
export class StaticFiles {
  readonly #files: Map<string, StaticFile>;

  private constructor(files: Map<string, StaticFile>) {
    this.#files = files;
  }

  /** Loads dist/; undefined when the pages were never built (see scripts/build-web.mjs). */
  static async load(distDir: string): Promise<StaticFiles | undefined> {
    let names: string[];
    try {
      names = await readdir(distDir, { recursive: true });
    } catch {
      return undefined;
    }
    if (!names.includes('index.html')) return undefined;
    const files = new Map<string, StaticFile>();
    for (const name of names) {
      const type = TYPES[extname(name)];
      if (type === undefined) continue;
      const body = await readFile(join(distDir, name));
      const compressible = /^(text|application\/json|image\/svg)/.test(type) && body.length > 1024;
      files.set(`/${name.split('\\').join('/')}`, {
        type,
        body,
        gzipped: compressible ? gzipSync(body) : undefined,
        immutable: name.startsWith('assets/'),
      });
    }
    return new StaticFiles(files);
  }

  /** Serves `path` (or index.html for page routes); false for a missing asset. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const file =
      this.#files.get(path) ??
      (path.startsWith('/assets/') ? undefined : this.#files.get('/index.html'));
    if (file === undefined) return false;
    const gzip =
      file.gzipped !== undefined && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const body = gzip ? file.gzipped! : file.body;
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': body.length,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
}
