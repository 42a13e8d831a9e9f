import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import { createChannelClient, unaryCall } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import type { lzyWorkflow } from '@lzy/proto';
import { longrunning, lzyWorkflowService, lzyWorkflowWatchService } from '@lzy/proto';
import type { TemplateSpec } from '@lzy/testing';
import { testEncryptionKeys } from '@lzy/testing';
import { loadLzyServiceConfig } from '../src/index.ts';
import type { LzyServiceConfig } from '../src/index.ts';
import { migrations } from '../src/db/migrations/index.ts';

export const silentLog = createLogger({ service: 'lzy-service-test', level: 'silent' });

export const lzyServiceTemplate: TemplateSpec = {
  name: 'tpl_lzy_service_v1',
  migrate: async (url) => {
    const db = createDatabase({ url, poolMax: 1 });
    try {
      await migrateToLatest(db, migrations);
    } finally {
      await closeDatabase(db);
    }
  },
};

/** lzy-service on port 0 against `clusterAddress` (the cluster double) for every neighbour. */
export function testServiceConfig(
  dbUrl: string,
  clusterAddress: string,
  extra: Record<string, string> = {},
): LzyServiceConfig {
  return loadLzyServiceConfig({
    LZY_PORT: '0',
    LZY_LOG_LEVEL: 'silent',
    LZY_DB_URL: dbUrl,
    LZY_IAM_ADDRESS: clusterAddress,
    LZY_STORAGE_ADDRESS: clusterAddress,
    LZY_ALLOCATOR_ADDRESS: clusterAddress,
    LZY_CHANNEL_MANAGER_ADDRESS: clusterAddress,
    LZY_GRAPH_EXECUTOR_ADDRESS: clusterAddress,
    LZY_ENCRYPTION_KEYS: testEncryptionKeys(),
    // The installation's S3 as the cluster double's storage answers it (a loopback address).
    LZY_S3_ENDPOINT: 'http://127.0.0.1:9000',
    ...extra,
  });
}

/** A pylzy-like client of the public port; `token` undefined sends no authorization. */
export function publicClients(address: string, token: string | undefined) {
  const options =
    token === undefined
      ? { retry: false as const }
      : { callCredentials: () => Promise.resolve(token), retry: false as const };
  const workflow = createChannelClient(
    lzyWorkflowService.LzyWorkflowServiceClient,
    address,
    options,
  );
  const operations = createChannelClient(longrunning.LongRunningServiceClient, address, options);
  const watches = createChannelClient(
    lzyWorkflowWatchService.LzyWorkflowWatchServiceClient,
    address,
    options,
  );
  return {
    workflow,
    operations,
    watches,
    start: (workflowName: string) =>
      unaryCall(workflow.startWorkflow.bind(workflow), {
        workflowName,
        snapshotStorage: undefined,
      }),
    close: () => {
      workflow.close();
      operations.close();
      watches.close();
    },
  };
}

export function operation(
  name: string,
  inputs: string[],
  outputs: string[],
  poolSpecName = 's',
): lzyWorkflow.Operation {
  const slot = (uri: string) => ({
    path: `/${name}/${uri.split('/').pop() ?? ''}`,
    storageUri: uri,
  });
  return {
    name,
    description: '',
    command: 'echo hi',
    inputSlots: inputs.map(slot),
    outputSlots: outputs.map(slot),
    dockerImage: '',
    env: { $case: 'python', value: { yaml: 'name: py39', localModules: [] } },
    poolSpecName,
  };
}

export function graphOf(operations: lzyWorkflow.Operation[]): lzyWorkflow.Graph {
  return { name: '', parentGraphId: '', operations, dataDescriptions: [], zone: '' };
}
