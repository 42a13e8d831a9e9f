import { checkHealth, testPostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcs, startStack, whiteboardClient, whiteboardOf } from './fixtures.ts';

const SERVICE = 'ai.lzy.v1.whiteboard.LzyWhiteboardService';

describe('whiteboard start-up before its database exists', () => {
  const admin = testPostgres();
  const dbName = `wb_startup_${process.pid}`;
  let stack: Awaited<ReturnType<typeof startStack>>;

  beforeAll(async () => {
    await admin.dropDatabase(dbName);
    stack = await startStack(admin.urlFor(dbName));
  });
  afterAll(async () => {
    await stack?.stop();
    await admin.dropDatabase(dbName);
  });

  it('serves health, answers UNAVAILABLE, then migrates and serves once the database appears', async () => {
    const alice = rpcs(whiteboardClient(stack.address, 'alice'));
    expect(await checkHealth(stack.address)).toBe('SERVING');
    expect(await checkHealth(stack.address, SERVICE)).toBe('NOT_SERVING');
    await expect(alice.get('w')).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    await admin.createDatabase(dbName);
    await expect
      .poll(() => checkHealth(stack.address, SERVICE), { timeout: 20_000 })
      .toBe('SERVING');
    await alice.register(whiteboardOf('w'));
    expect((await alice.get('w'))?.id).toBe('w');
  });
});
