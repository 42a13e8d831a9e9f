import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleOpModule, fetchOpModule } from './op-modules.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'op-modules-test-'));
  dirs.push(dir);
  return dir;
}

/** Serves `bytes` over HTTP on port 0 until the test ends; the URL of it. */
async function serve(bytes: Buffer): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => res.end(bytes));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bundle`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('op module bundles', () => {
  it('unpacks a bundle whose @lzy/sdk resolves, not a cached copy linked to a deleted checkout', async () => {
    const src = await tempDir();
    await writeFile(join(src, 'ops.ts'), "import { op } from '@lzy/sdk';\nexport const x = op;\n");
    const bundle = await bundleOpModule(join(src, 'ops.ts'));
    // What an earlier checkout (deleted since) left in the cache under the bundle's hash.
    const cache = await tempDir();
    const stale = join(cache, bundle.sha256);
    await mkdir(join(stale, 'node_modules', '@lzy'), { recursive: true });
    await writeFile(join(stale, 'ops.ts'), 'stale');
    await symlink('/nonexistent/checkout/libs/sdk', join(stale, 'node_modules', '@lzy', 'sdk'));
    await writeFile(join(stale, '.complete'), '');

    const server = await serve(bundle.bytes);
    try {
      const ref = `${server.url}#lzy-op-module=${bundle.sha256}:${encodeURIComponent(bundle.entry)}`;
      const entry = await fetchOpModule(ref, cache);
      const sdk = join(dirname(entry), 'node_modules', '@lzy', 'sdk');
      expect(existsSync(join(sdk, 'src', 'index.ts'))).toBe(true);
      expect(await realpath(sdk)).toBe(await realpath(join(import.meta.dirname, '..')));
      // Unpacked once: a second fetch uses the cache (the server is gone).
      await server.close();
      expect(await fetchOpModule(ref, cache)).toBe(entry);
    } finally {
      await server.close().catch(() => undefined);
    }
  });
});
