import { fileURLToPath } from 'node:url';
import { checkHealth, runServiceProcessToExit, startServiceProcess } from '@lzy/testing';
import { describe, expect, it } from 'vitest';

const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));

// describeServiceProcess's contract, with the site's HTTP port on a free port too (it defaults
// to 8080, which a test must never bind).
describe('site as a process', () => {
  it('answers the gRPC health check and serves its pages, and exits 0 on SIGTERM', async () => {
    const service = await startServiceProcess(mainPath, {
      LZY_PORT: '0',
      LZY_METRICS_PORT: '0',
      LZY_SITE_HTTP_PORT: '0',
    });
    let exitCode: number | null;
    try {
      expect(await checkHealth(`127.0.0.1:${service.port}`)).toBe('SERVING');
      expect((await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).status).toBe(200);
    } finally {
      exitCode = await service.stop('SIGTERM');
    }
    expect(exitCode).toBe(0);
  });

  it('exits with status 2 naming every bad variable', async () => {
    const exit = await runServiceProcessToExit(mainPath, {
      LZY_PORT: 'eighty',
      LZY_SITE_HTTP_PORT: 'x',
    });
    expect(exit.code).toBe(2);
    for (const name of ['LZY_PORT', 'LZY_SITE_HTTP_PORT']) {
      expect(exit.stderr).toContain(name);
    }
  });
});
