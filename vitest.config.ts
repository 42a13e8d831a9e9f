import { defineConfig } from 'vitest/config';

// Two projects (STYLE.md §9): `unit` needs no network, database or disk; `integration` gets one
// real PostgreSQL cluster and one real S3 server per run from libs/testing's global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'libs/*/src/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'bench/src/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'libs/*/test/**/*.test.ts',
            'services/*/test/**/*.test.ts',
            'deploy/test/**/*.test.ts',
            'python/test/**/*.test.ts',
            'bench/test/**/*.test.ts',
          ],
          environment: 'node',
          globalSetup: ['libs/testing/src/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
});
