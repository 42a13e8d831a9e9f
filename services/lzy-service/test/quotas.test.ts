import { randomUUID } from 'node:crypto';
import { ResourceExhausted } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { testEncryptionKeys, usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLzyServiceConfig, startLzyService } from '../src/index.ts';
import type { RunningLzyService } from '../src/index.ts';
import { ClusterDouble } from './doubles/cluster-double.ts';
import { lzyServiceTemplate, publicClients, silentLog } from './fixtures.ts';

const MAX_ACTIVE = 3;
const pg = usePostgres({ template: lzyServiceTemplate });
const cluster = new ClusterDouble();
let service: RunningLzyService;
let alice: ReturnType<typeof publicClients>;
let bob: ReturnType<typeof publicClients>;

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
    LZY_MAX_ACTIVE_EXECUTIONS_PER_USER: String(MAX_ACTIVE),
  });
  service = await startLzyService(config, { log: silentLog });
  expect(await service.ready).toBe(true);
  alice = publicClients(`127.0.0.1:${service.port}`, 'alice.test.token');
  bob = publicClients(`127.0.0.1:${service.port}`, 'bob.test.token');
});

afterAll(async () => {
  alice?.close();
  bob?.close();
  await service?.stop();
  await cluster.stop();
});

const portalsOf = (user: string) =>
  cluster.allocations.filter((a) => a.workloads[0]?.env.LZY_USER_ID === user).length;

describe('active executions per user', () => {
  it('stops a user who tries to fill the portal pool at their quota; another user still starts', async () => {
    // Ten starts at once: the quota holds under concurrency (one user's starts are serialised).
    const names = Array.from({ length: 10 }, () => `wf-${randomUUID()}`);
    const results = await Promise.allSettled(names.map((name) => alice.start(name)));
    const started = names.filter((_, i) => results[i]!.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    expect(started).toHaveLength(MAX_ACTIVE);
    expect(refused).toHaveLength(10 - MAX_ACTIVE);
    for (const err of refused) {
      expect(err).toBeInstanceOf(ResourceExhausted);
      expect(err.message).toContain(
        `User 'alice' already has ${MAX_ACTIVE} active executions, the limit per user ` +
          `(LZY_MAX_ACTIVE_EXECUTIONS_PER_USER) is ${MAX_ACTIVE}: finish or abort some of them`,
      );
    }
    expect(portalsOf('alice')).toBe(MAX_ACTIVE);

    await expect(bob.start(`wf-${randomUUID()}`)).resolves.toMatchObject({
      executionId: expect.any(String) as string,
    });

    // A new start of one of her workflows replaces its execution: allowed at the quota.
    const replaced = await alice.start(started[0]!);
    // Ending one makes room for another.
    const c = alice.workflow;
    await unaryCall(c.abortWorkflow.bind(c), {
      workflowName: started[0]!,
      executionId: replaced.executionId,
      reason: 'done',
    });
    await expect(alice.start(`wf-${randomUUID()}`)).resolves.toBeDefined();
    await expect(alice.start(`wf-${randomUUID()}`)).rejects.toThrow(ResourceExhausted);
  });
});
