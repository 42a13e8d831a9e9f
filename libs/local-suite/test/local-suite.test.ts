import { describe, expect, it } from 'vitest';
import { createLogger } from '@lzy/logging';
import { checkHealth } from '@lzy/testing';
import { startLocalSuite } from '../src/local-suite.ts';

describe('local suite', () => {
  it('starts all eleven services in one process, each answering the health check', async () => {
    const suite = await startLocalSuite({
      log: createLogger({ service: 'test', level: 'silent' }),
      host: '127.0.0.1',
      randomPorts: true,
    });
    try {
      expect(Object.keys(suite.ports).sort()).toEqual([
        'allocator',
        'channel-manager',
        'graph-executor',
        'iam',
        'lzy-service',
        'portal',
        'scheduler',
        'site',
        'storage',
        'whiteboard',
        'worker',
      ]);
      for (const port of Object.values(suite.ports)) {
        expect(await checkHealth(`127.0.0.1:${port}`)).toBe('SERVING');
      }
    } finally {
      await suite.stop();
    }
  });
});
