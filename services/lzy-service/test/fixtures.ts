import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import { createChannelClient, unaryCall } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import type { lzyWorkflow } from '@lzy/proto';
import { longrunning, lzyWorkflowService } from '@lzy/proto';
import type { TemplateSpec } from '@lzy/testing';
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
  return {
    workflow,
    operations,
    start: (workflowName: string) =>
      unaryCall(workflow.startWorkflow.bind(workflow), {
        workflowName,
        snapshotStorage: undefined,
      }),
    close: () => {
      workflow.close();
      operations.close();
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
