import { stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const siteDir = fileURLToPath(new URL('..', import.meta.url));

async function newestMtimeMs(dir: string): Promise<number> {
  let newest = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    newest = Math.max(newest, (await stat(join(dir, name))).mtimeMs);
  }
  return newest;
}

/**
 * Builds the pages unless dist/ is newer than every source of them (pnpm install builds them;
 * this covers edits made since, so the browser tests never run stale pages).
 */
export async function ensureWebBuilt(): Promise<void> {
  const sources = Math.max(
    await newestMtimeMs(join(siteDir, 'web')),
    await newestMtimeMs(join(siteDir, 'src', 'api')),
  );
  const built = await stat(join(siteDir, 'dist', 'index.html')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built > sources) return;
  await build({ configFile: join(siteDir, 'web', 'vite.config.ts'), logLevel: 'warn' });
}
