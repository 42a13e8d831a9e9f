import { randomUUID } from 'node:crypto';
import { PermissionDenied } from '@lzy/errors';
import { closeDatabase, createDatabase, migrateToLatest } from '@lzy/db';
import { createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import type { Authenticator } from '@lzy/grpc';
import { createLogger } from '@lzy/logging';
import { commonOperation, scheduler } from '@lzy/proto';
import type { TemplateSpec } from '@lzy/testing';
import { loadSchedulerConfig, schedulerMigrations, startScheduler } from '../src/index.ts';
import type { RunningScheduler } from '../src/index.ts';

export const log = createLogger({ service: 'scheduler-test', level: 'silent' });

export const schedulerTemplate: TemplateSpec = {
  name: 'lzy_scheduler_0001',
  migrate: async (url) => {
    const db = createDatabase({ url });
    try {
      await migrateToLatest(db, schedulerMigrations);
    } finally {
      await closeDatabase(db);
    }
  },
};

/** Token → subject: `internal` is the services' identity, `user` an end user. */
export const testAuthenticator: Authenticator = {
  authenticate: (authorization) => {
    if (authorization === 'Bearer internal') {
      return Promise.resolve({ id: 'lzy-internal', type: 'USER' });
    }
    if (authorization === 'Bearer user') return Promise.resolve({ id: 'alice', type: 'USER' });
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

/** A Schedule request for one op in `pool`. */
export function scheduleRequest(fields: {
  taskId?: string;
  executionId: string;
  userId: string;
  pool?: string;
}): scheduler.ScheduleRequest {
  return {
    taskId: fields.taskId ?? `task-${randomUUID()}`,
    executionId: fields.executionId,
    workflowName: 'wf',
    userId: fields.userId,
    portalAddress: '127.0.0.1:9',
    task: commonOperation.TaskDesc.fromPartial({
      operation: {
        name: 'train',
        command: 'python train.py',
        requirements: { poolLabel: fields.pool ?? 's', zone: 'local' },
      },
    }),
  };
}

export function schedule(
  client: scheduler.SchedulerServiceClient,
  request: scheduler.ScheduleRequest,
): Promise<scheduler.TaskStatus> {
  return unaryCall(client.schedule.bind(client), request).then((r) => r.status!);
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
      for await (const message of stream) if (message.status) this.statuses.push(message.status);
    })();
    this.ended.catch(() => {});
  }

  states(taskId: string): scheduler.TaskState[] {
    return this.statuses.filter((s) => s.taskId === taskId).map((s) => s.state);
  }

  cancel(): void {
    this.#abort.abort();
  }
}

export const S = scheduler.TaskState;
