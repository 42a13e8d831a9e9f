import { afterAll, beforeAll, expect, it } from 'vitest';
import { Unavailable } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { freePort, testEncryptionKeys } from '@lzy/testing';
import { loadLzyServiceConfig, startLzyService } from '../src/index.ts';
import type { RunningLzyService } from '../src/index.ts';
import { ClusterDouble } from './doubles/cluster-double.ts';
import { publicClients, silentLog } from './fixtures.ts';

const cluster = new ClusterDouble();
let service: RunningLzyService;

beforeAll(async () => {
  await cluster.start(silentLog);
  // A database nobody listens on: lzy-service starts, its schema never gets there.
  const deadPort = await freePort();
  service = await startLzyService(
    loadLzyServiceConfig({
      LZY_PORT: '0',
      LZY_LOG_LEVEL: 'silent',
      LZY_DB_URL: `postgres://postgres@127.0.0.1:${deadPort}/lzy_lzy_service`,
      LZY_IAM_ADDRESS: cluster.address,
      LZY_STORAGE_ADDRESS: cluster.address,
      LZY_ALLOCATOR_ADDRESS: cluster.address,
      LZY_CHANNEL_MANAGER_ADDRESS: cluster.address,
      LZY_GRAPH_EXECUTOR_ADDRESS: cluster.address,
      LZY_ENCRYPTION_KEYS: testEncryptionKeys(),
    }),
    { log: silentLog },
  );
});

afterAll(async () => {
  await service?.stop();
  await cluster.stop();
});

it('answers UNAVAILABLE (retried by clients), never INTERNAL, until its database is ready', async () => {
  const alice = publicClients(`127.0.0.1:${service.port}`, 'alice.test.token');
  try {
    const start = unaryCall(alice.workflow.startWorkflow.bind(alice.workflow), {
      workflowName: 'wf',
      snapshotStorage: undefined,
    });
    await expect(start).rejects.toThrow(Unavailable);
    await expect(start).rejects.toThrow(/starting \(database not ready yet\)/);
  } finally {
    alice.close();
  }
});
