// Builds the site's pages (web/ → dist/) with Vite. Run by `pnpm install` (postinstall), so a
// fresh clone, CI and the images (pnpm install --prod: vite is a dependency for this reason)
// serve built files; nothing is fetched at run time. Plain JS: it runs before anything else.
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const configFile = fileURLToPath(new URL('../web/vite.config.ts', import.meta.url));
await build({ configFile, logLevel: 'warn' });
