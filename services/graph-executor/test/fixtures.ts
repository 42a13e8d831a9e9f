import { generateKeyPairSync } from 'node:crypto';
import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import { createChannelClient } from '@lzy/grpc';
import type { Authenticator } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import { commonSlot, graphExecutor } from '@lzy/proto';
import type { TemplateSpec } from '@lzy/testing';
import { loadGraphExecutorConfig, startGraphExecutor } from '../src/index.ts';
import type { RunningGraphExecutor } from '../src/index.ts';
import { graphExecutorMigrations } from '../src/db/migrations/index.ts';

export const graphExecutorTemplate: TemplateSpec = {
  name: 'tpl_lzy_graph_executor_v1',
  migrate: async (url) => {
    const db = createDatabase({ url, poolMax: 1 });
    try {
      await migrateToLatest(db, graphExecutorMigrations);
    } finally {
      await closeDatabase(db);
    }
  },
};

/** Test double of our Authenticator port: the token is `<subjectId>.test.token` (JWT-shaped);
 * a subject id starting with `vm-` is a VM. */
const tokenIsSubject: Authenticator = {
  authenticate: (authorization) => {
    const id = authorization.slice('Bearer '.length).split('.')[0] ?? '';
    return Promise.resolve({ id, type: id.startsWith('vm-') ? 'VM' : 'USER' });
  },
};

const internalKey = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
}).privateKey;

export async function startForTest(
  dbUrl: string,
  schedulerPort: number,
): Promise<RunningGraphExecutor> {
  const config = loadGraphExecutorConfig({
    LZY_PORT: '0',
    LZY_DB_URL: dbUrl,
    LZY_SCHEDULER_ADDRESS: `127.0.0.1:${schedulerPort}`,
    LZY_INTERNAL_PRIVATE_KEY: internalKey,
    LZY_LOG_LEVEL: 'silent',
    LZY_SHUTDOWN_GRACE_MS: '1000',
  });
  const service = await startGraphExecutor(config, {
    log: createLogger({ service: 'graph-executor-test', level: 'silent' }),
    authenticator: tokenIsSubject,
  });
  await service.ready;
  return service;
}

export function clientAs(port: number, subjectId: string) {
  return createChannelClient(graphExecutor.GraphExecutorServiceClient, `127.0.0.1:${port}`, {
    callCredentials: () => Promise.resolve(`${subjectId}.test.token`),
    retry: false,
  });
}

const { INPUT, OUTPUT } = commonSlot.Slot_Direction;

/** A task reading channels `reads` and writing channels `writes`; its operation is `op-<id>`. */
export function task(id: string, reads: string[], writes: string[]): graphExecutor.Task {
  const slots = [
    ...reads.map((c) => ({ name: `in-${c}`, direction: INPUT, channelId: c })),
    ...writes.map((c) => ({ name: `out-${c}`, direction: OUTPUT, channelId: c })),
  ];
  return {
    id,
    taskDesc: {
      operation: {
        name: `op-${id}`,
        command: 'true',
        description: '',
        requirements: { poolLabel: 's', zone: '' },
        slots: slots.map((s) => ({
          name: s.name,
          media: commonSlot.Slot_Media.FILE,
          direction: s.direction,
        })),
      },
      slotAssignments: slots.map((s) => ({
        slotName: s.name,
        channelId: s.channelId,
        lzyTsSenderUri: '',
      })),
    },
    maxAttempts: 0,
    retryOnFailure: false,
  };
}
