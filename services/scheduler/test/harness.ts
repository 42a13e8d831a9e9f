import { randomUUID } from 'node:crypto';
import { PermissionDenied } from '@lzy/errors';
import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import { createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import type { Authenticator } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import { commonOperation, commonSlot, scheduler } from '@lzy/proto';
import type { TemplateSpec } from '@lzy/testing';
import { loadSchedulerConfig, schedulerMigrations, startScheduler } from '../src/index.ts';
import type { RunningScheduler } from '../src/index.ts';

export const log = createLogger({ service: 'scheduler-test', level: 'silent' });

export const schedulerTemplate: TemplateSpec = {
  name: 'lzy_scheduler_0002',
  migrate: async (url) => {
    const db = createDatabase({ url });
    try {
      await migrateToLatest(db, schedulerMigrations);
    } finally {
      await closeDatabase(db);
    }
  },
};

/**
 * Token → subject: `internal` is the services' identity, `user` an end user, `bobvm` a VM of bob
 * (whose key an op can read).
 */
export const testAuthenticator: Authenticator = {
  authenticate: (authorization) => {
    if (authorization === 'Bearer internal') {
      return Promise.resolve({ id: 'lzy-internal', type: 'USER' });
    }
    if (authorization === 'Bearer user') return Promise.resolve({ id: 'alice', type: 'USER' });
    if (authorization === 'Bearer bobvm') return Promise.resolve({ id: 'vm-bob', type: 'VM' });
    return Promise.reject(new PermissionDenied('unknown token'));
  },
};

export async function startTestScheduler(
  dbUrl: string,
  allocatorAddress: string,
  env: Record<string, string> = {},
): Promise<RunningScheduler> {
  const config = loadSchedulerConfig({
    LZY_PORT: '0',
    LZY_LOG_LEVEL: 'silent',
    LZY_SHUTDOWN_GRACE_MS: '200',
    LZY_DB_URL: dbUrl,
    LZY_ALLOCATOR_ADDRESS: allocatorAddress,
    LZY_SCHEDULER_RETRY_BACKOFF_MS: '20',
    ...env,
  });
  const running = await startScheduler(config, { log, authenticator: testAuthenticator });
  await running.ready;
  return running;
}

export function schedulerClient(
  port: number,
  token = 'internal',
): scheduler.SchedulerServiceClient {
  return createChannelClient(scheduler.SchedulerServiceClient, `127.0.0.1:${port}`, {
    callCredentials: () => Promise.resolve(token),
  });
}

function slot(name: string, direction: 'INPUT' | 'OUTPUT'): commonSlot.Slot {
  return commonSlot.Slot.fromPartial({
    name,
    media: commonSlot.Slot_Media.FILE,
    direction:
      direction === 'INPUT' ? commonSlot.Slot_Direction.INPUT : commonSlot.Slot_Direction.OUTPUT,
  });
}

/**
 * One task of a graph: op `train` in `pool`, writing channel `<id>-out` and reading the outputs
 * of `after` (its dependencies).
 */
export function task(
  id: string,
  options: {
    after?: string[];
    pool?: string;
    needs?: scheduler.Needs;
    maxAttempts?: number;
    retryOnFailure?: boolean;
  } = {},
): scheduler.SubmitTask {
  const after = options.after ?? [];
  const slots = [
    ...after.map((dep) => ({ slot: slot(`/${id}/in-${dep}`, 'INPUT'), channelId: `${dep}-out` })),
    { slot: slot(`/${id}/out`, 'OUTPUT'), channelId: `${id}-out` },
  ];
  return {
    taskId: id,
    task: commonOperation.TaskDesc.fromPartial({
      operation: {
        name: 'train',
        command: 'python train.py',
        requirements: { poolLabel: options.pool ?? 's', zone: 'local' },
        slots: slots.map((s) => s.slot),
      },
      slotAssignments: slots.map((s) => ({ slotName: s.slot.name, channelId: s.channelId })),
    }),
    dependsOn: after,
    needs: options.needs,
    maxAttempts: options.maxAttempts ?? 0,
    retryOnFailure: options.retryOnFailure ?? false,
  };
}

/** A graph's Submit for a fresh execution of a fresh user. */
export function submitRequest(
  tasks: scheduler.SubmitTask[],
  ids: { executionId?: string; userId?: string } = {},
): scheduler.SubmitRequest {
  return {
    executionId: ids.executionId ?? `exec-${randomUUID()}`,
    workflowName: 'wf',
    userId: ids.userId ?? `user-${randomUUID()}`,
    graphId: `graph-${randomUUID()}`,
    portalAddress: '127.0.0.1:9',
    tasks,
  };
}

export async function submit(
  client: scheduler.SchedulerServiceClient,
  request: scheduler.SubmitRequest,
): Promise<void> {
  await unaryCall(client.submit.bind(client), request);
}

export function getTask(
  client: scheduler.SchedulerServiceClient,
  executionId: string,
  taskId: string,
): Promise<scheduler.TaskStatus> {
  return unaryCall(client.getTask.bind(client), { executionId, taskId }).then((r) => r.status!);
}

/** Collects every status a WatchTasks stream pushes, in the background. */
export class Watcher {
  readonly statuses: scheduler.TaskStatus[] = [];
  readonly ended: Promise<void>;
  readonly #abort = new AbortController();

  constructor(client: scheduler.SchedulerServiceClient, request: scheduler.WatchTasksRequest) {
    this.ended = (async () => {
      const stream = serverStream(client.watchTasks.bind(client), request, {
        signal: this.#abort.signal,
      });
      for await (const message of stream) this.statuses.push(...message.statuses);
    })();
    this.ended.catch(() => {});
  }

  states(taskId: string): scheduler.TaskState[] {
    return this.statuses.filter((s) => s.taskId === taskId).map((s) => s.state);
  }

  last(taskId: string): scheduler.TaskStatus | undefined {
    return this.statuses.filter((s) => s.taskId === taskId).at(-1);
  }

  cancel(): void {
    this.#abort.abort();
  }
}

export const S = scheduler.TaskState;
