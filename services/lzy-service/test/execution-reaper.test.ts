import { randomUUID } from 'node:crypto';
import { NotFound } from '@lzy/errors';
import { closeDatabase, createDatabase } from '@lzy/db';
import { sql } from 'kysely';
import { serverStream, unaryCall } from '@lzy/grpc';
import { testEncryptionKeys, usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLzyServiceConfig, startLzyService } from '../src/index.ts';
import type { RunningLzyService } from '../src/index.ts';
import { ClusterDouble } from './doubles/cluster-double.ts';
import { lzyServiceTemplate, publicClients, silentLog } from './fixtures.ts';

/** Short, yet long enough for a loaded machine's calls to come in time. */
const IDLE_TIMEOUT_MS = 1_000;
const pg = usePostgres({ template: lzyServiceTemplate });
const cluster = new ClusterDouble();
/** Two replicas on one database: both run the reaper. */
const replicas: RunningLzyService[] = [];
let viaFirst: ReturnType<typeof publicClients>;
let viaSecond: ReturnType<typeof publicClients>;

beforeAll(async () => {
  await cluster.start(silentLog);
  const config = loadLzyServiceConfig({
    LZY_PORT: '0',
    LZY_LOG_LEVEL: 'silent',
    LZY_DB_URL: pg.url,
    LZY_IAM_ADDRESS: cluster.address,
    LZY_STORAGE_ADDRESS: cluster.address,
    LZY_ALLOCATOR_ADDRESS: cluster.address,
    LZY_CHANNEL_MANAGER_ADDRESS: cluster.address,
    LZY_GRAPH_EXECUTOR_ADDRESS: cluster.address,
    LZY_ENCRYPTION_KEYS: testEncryptionKeys(),
    LZY_EXECUTION_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
  });
  for (let i = 0; i < 2; i++) {
    const replica = await startLzyService(config, { log: silentLog });
    replicas.push(replica);
    expect(await replica.ready).toBe(true);
  }
  viaFirst = publicClients(`127.0.0.1:${replicas[0]!.port}`, 'alice.test.token');
  viaSecond = publicClients(`127.0.0.1:${replicas[1]!.port}`, 'alice.test.token');
});

afterAll(async () => {
  viaFirst?.close();
  viaSecond?.close();
  for (const replica of replicas) await replica.stop();
  await cluster.stop();
});

function portalVmOf(executionId: string): string {
  const portalDouble = cluster.portalOf(executionId);
  return [...cluster.portals].find(([, p]) => p === portalDouble)![0];
}

function pools(client: ReturnType<typeof publicClients>, executionId: string) {
  const c = client.workflow;
  return unaryCall(c.getAvailablePools.bind(c), { executionId });
}

async function abortTeardowns(executionId: string): Promise<number> {
  const db = createDatabase({ url: pg.url, poolMax: 1 });
  try {
    const { rows } = await sql<{ n: string }>`
      SELECT count(*) AS n FROM operation
      WHERE kind = 'abort-execution' AND step_state->>'executionId' = ${executionId}`.execute(db);
    return Number(rows[0]?.n);
  } finally {
    await closeDatabase(db);
  }
}

describe('the execution reaper', () => {
  it('aborts an execution whose client went away and frees its portal VM, not active ones', async () => {
    const abandoned = await viaFirst.start(`wf-${randomUUID()}`);
    // `polled`'s client keeps calling (through the other replica); `streamed`'s keeps its std
    // stream open on the first replica and calls nothing else.
    const polled = await viaFirst.start(`wf-${randomUUID()}`);
    const polling = setInterval(() => {
      pools(viaSecond, polled.executionId).catch(() => undefined);
    }, 100);
    const streamed = await viaFirst.start(`wf-${randomUUID()}`);
    const stopStream = new AbortController();
    const c = viaFirst.workflow;
    const std = serverStream(
      c.readStdSlots.bind(c),
      { executionId: streamed.executionId },
      { signal: stopStream.signal },
    );
    cluster.portalOf(streamed.executionId).writeLine('stdout', 'working\n');
    const reading = (async () => {
      for await (const _message of std);
    })().catch(() => undefined);
    try {
      await expect
        .poll(() => cluster.freedVms, { timeout: 10_000 })
        .toContain(portalVmOf(abandoned.executionId));
      expect(cluster.portalOf(abandoned.executionId).stopped).toBe(true);
      expect(cluster.destroyedExecutions).toContain(abandoned.executionId);
      const call = pools(viaFirst, abandoned.executionId);
      await expect(call).rejects.toThrow(NotFound);
      await expect(call).rejects.toThrow(
        `: it ended (execution abandoned: no call from its client for 1 s)`,
      );
      // Two replicas reaped, one teardown.
      expect(await abortTeardowns(abandoned.executionId)).toBe(1);

      // A second abandoned execution is reaped as well; the two active ones live on meanwhile.
      const later = await viaFirst.start(`wf-${randomUUID()}`);
      await expect
        .poll(() => cluster.freedVms, { timeout: 10_000 })
        .toContain(portalVmOf(later.executionId));
      await expect(pools(viaSecond, polled.executionId)).resolves.toBeDefined();
      await expect(pools(viaSecond, streamed.executionId)).resolves.toBeDefined();
      for (const { executionId } of [polled, streamed]) {
        expect(cluster.freedVms).not.toContain(portalVmOf(executionId));
        expect(cluster.portalOf(executionId).stopped).toBe(false);
      }
    } finally {
      clearInterval(polling);
      stopStream.abort();
      await reading;
    }
    // Once its client stops calling, the polled execution goes the same way.
    await expect
      .poll(() => cluster.freedVms, { timeout: 10_000 })
      .toContain(portalVmOf(polled.executionId));
  });
});
