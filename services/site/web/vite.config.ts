import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The site's pages: React, built to services/site/dist and served by the site's backend. No CDN:
 * every module is bundled; React Flow's stylesheet is imported by the code.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      // React Flow marks its modules 'use client' (for React Server Components): meaningless here.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      output: {
        // React and React Flow change rarely: a separate chunk stays cached across releases.
        codeSplitting: { groups: [{ name: 'vendor', test: /node_modules/ }] },
      },
    },
  },
  oxc: { jsx: { runtime: 'automatic', development: false } },
  // Always React's production build, also when a test runner (NODE_ENV=test) builds the pages.
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
});
