import { describe, expect, it } from 'vitest';
import { checkHealth } from './service-health.ts';
import { runServiceProcessToExit, startServiceProcess } from './service-process.ts';

/**
 * What every service's main.ts must do as a process of its own (STYLE.md §1, issue 3): start on
 * a free port and answer the gRPC health check, stop cleanly on SIGTERM, and refuse a bad
 * environment with exit code 2 and a message naming every bad variable. Call it from each
 * service's test/ with that service's main.ts path; `requiredEnv` = the variables the service
 * cannot start without (secrets that have no default, e.g. LZY_ENCRYPTION_KEYS).
 */
export function describeServiceProcess(
  name: string,
  mainPath: string,
  requiredEnv: Readonly<Record<string, string>> = {},
): void {
  describe(`${name} as a process`, () => {
    it('answers the gRPC health check with SERVING and exits 0 on SIGTERM', async () => {
      const service = await startServiceProcess(mainPath, {
        ...requiredEnv,
        LZY_PORT: '0',
        LZY_METRICS_PORT: '0',
      });
      let exitCode: number | null;
      try {
        expect(await checkHealth(`127.0.0.1:${service.port}`)).toBe('SERVING');
        const metrics = await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`);
        expect(metrics.status).toBe(200);
      } finally {
        exitCode = await service.stop('SIGTERM');
      }
      expect(exitCode).toBe(0);
    });

    it('exits with status 2 naming every bad variable', async () => {
      const exit = await runServiceProcessToExit(mainPath, {
        ...requiredEnv,
        LZY_PORT: 'eighty',
        LZY_LOG_LEVEL: 'loud',
      });
      expect(exit.code).toBe(2);
      expect(exit.stderr).toContain('LZY_PORT');
      expect(exit.stderr).toContain('LZY_LOG_LEVEL');
    });
  });
}
