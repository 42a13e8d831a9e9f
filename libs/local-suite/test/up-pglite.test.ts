import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CleanupStack } from '@lzy/testing';
import { loadLocalSuiteConfig } from '../src/config.ts';
import { startUp } from '../src/up.ts';
import { runDoubleIt } from './double-it-workflow.ts';

describe('lzy up on PGlite (LZY_UP_DATABASE=pglite)', () => {
  it('runs two dependent ops end to end with every service on a schema of one PGlite', async () => {
    await using cleanup = new CleanupStack();
    const home = await mkdtemp(join(tmpdir(), 'lzy-up-pglite-'));
    cleanup.defer(() => rm(home, { recursive: true, force: true }));
    const config = loadLocalSuiteConfig({
      LZY_HOME: home,
      LZY_UP_DATABASE: 'pglite',
      LZY_RANDOM_PORTS: 'true',
      LZY_LOG_LEVEL: 'silent',
      LZY_LOCAL_USER: 'alice',
      LZY_UP_EXAMPLE: '',
    });
    const up = cleanup.push(await startUp(config));
    expect(up.database).toBe('pglite');

    const result = await runDoubleIt({
      endpoint: up.endpoint,
      login: 'alice',
      privateKeyPem: await readFile(join(home, 'keys', 'user.pem'), 'utf8'),
      s3: up.s3,
      cleanup,
    });
    expect(result.outcome).toBe('completed');
    expect(result.doubled).toBe('42');
    expect(result.stdout).toContain('producing');
  });
});
