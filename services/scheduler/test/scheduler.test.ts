import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionDenied } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import type { scheduler } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import type { RunningScheduler } from '../src/index.ts';
import { AllocatorDouble } from './allocator-double.ts';
import {
  S,
  Watcher,
  getTask,
  log,
  schedule,
  scheduleRequest,
  schedulerClient,
  schedulerTemplate,
  startTestScheduler,
} from './harness.ts';
import { WorkerDouble } from './worker-double.ts';

const db = usePostgres({ template: schedulerTemplate });
const allocator = new AllocatorDouble();
const workers: WorkerDouble[] = [];
let running: RunningScheduler;
let client: scheduler.SchedulerServiceClient;

beforeAll(async () => {
  await allocator.start(log);
  running = await startTestScheduler(db.url, allocator.address, {
    LZY_SCHEDULER_MAX_VMS_PER_USER: '2',
  });
  client = schedulerClient(running.port);
});

afterAll(async () => {
  client?.close();
  await running?.stop();
  for (const w of workers) await w.stop();
  await allocator.stop();
});

async function newWorker(): Promise<WorkerDouble> {
  const w = new WorkerDouble();
  await w.start(log);
  workers.push(w);
  return w;
}

function ids() {
  return { executionId: `exec-${randomUUID()}`, userId: `user-${randomUUID()}` };
}

/** Waits for the task's Allocate and completes it on `w`. */
async function allocateOn(taskId: string, w: WorkerDouble): Promise<string> {
  await expect
    .poll(() => allocator.allocateCalls.some((c) => c.idempotencyKey === taskId))
    .toBe(true);
  return allocator.complete(taskId, w.address);
}

async function executeReached(w: WorkerDouble, taskId: string): Promise<void> {
  await expect.poll(() => w.tasks.has(taskId)).toBe(true);
}

describe('scheduler', () => {
  it('runs a task QUEUED → ALLOCATING → EXECUTING → SUCCEEDED, pushed on WatchTasks, its VM freed before SUCCEEDED', async () => {
    const { executionId, userId } = ids();
    const w = await newWorker();
    // The stream is live once it shows a first task's failure (it subscribes before its
    // snapshot), so every status of the task scheduled next arrives as a pushed change.
    const sentinel = scheduleRequest({ executionId, userId, pool: 'xl' });
    await schedule(client, sentinel);
    const watcher = new Watcher(client, { executionId, taskIds: [] });
    try {
      await expect.poll(() => watcher.states(sentinel.taskId)).toContain(S.TASK_STATE_FAILED);
      const request = scheduleRequest({ executionId, userId });
      const first = await schedule(client, request);
      expect([S.TASK_STATE_QUEUED, S.TASK_STATE_ALLOCATING]).toContain(first.state);

      const vmId = await allocateOn(request.taskId, w);
      await executeReached(w, request.taskId);
      expect(w.initCalls.at(-1)).toEqual({ userId, workflowName: 'wf', executionId });
      expect(w.tasks.get(request.taskId)?.idempotencyKey).toBe(request.taskId);
      expect(w.tasks.get(request.taskId)?.request.portalAddress).toBe(request.portalAddress);
      w.startTask(request.taskId);
      await expect.poll(() => watcher.states(request.taskId).at(-1)).toBe(S.TASK_STATE_EXECUTING);
      w.finish(request.taskId, 0);

      await expect.poll(() => watcher.states(request.taskId).at(-1)).toBe(S.TASK_STATE_SUCCEEDED);
      // Already freed when SUCCEEDED is seen: the next task of the chain, scheduled on that
      // status, finds the VM idle (warm reuse) instead of racing its Free.
      expect(allocator.freed).toContain(vmId);
      expect(watcher.states(request.taskId)).toEqual([
        S.TASK_STATE_QUEUED,
        S.TASK_STATE_ALLOCATING,
        S.TASK_STATE_EXECUTING,
        S.TASK_STATE_SUCCEEDED,
      ]);
      const status = await getTask(client, executionId, request.taskId);
      expect(status).toMatchObject({ state: S.TASK_STATE_SUCCEEDED, rc: 0, vmId });
    } finally {
      watcher.cancel();
    }
  });

  it('shares one allocator session per user and workflow and keys Allocate by task id', async () => {
    const { executionId, userId } = ids();
    const w = await newWorker();
    const a = scheduleRequest({ executionId, userId });
    const b = scheduleRequest({ executionId, userId });
    await schedule(client, a);
    await schedule(client, b);
    await allocateOn(a.taskId, w);
    await allocateOn(b.taskId, w);

    const owner = `${userId}/wf`;
    const sessions = allocator.createSessionCalls.filter((c) => c.owner === owner);
    expect(sessions).toEqual([{ owner, idempotencyKey: owner }]);
    const calls = allocator.allocateCalls.filter((c) =>
      [a.taskId, b.taskId].includes(c.idempotencyKey ?? ''),
    );
    expect(calls).toHaveLength(2);
    expect(calls[0]?.request.sessionId).toBe(calls[1]?.request.sessionId);
    expect(calls[0]?.request).toMatchObject({
      poolLabel: 's',
      zone: 'local',
      clusterType: 1,
      workloads: [expect.objectContaining({ name: 'worker' })],
    });
    await executeReached(w, a.taskId);
    w.finish(a.taskId, 0);
    await executeReached(w, b.taskId);
    w.finish(b.taskId, 0);
  });

  it('fails a task with the rc and description of its command', async () => {
    const { executionId, userId } = ids();
    const w = await newWorker();
    const request = scheduleRequest({ executionId, userId });
    await schedule(client, request);
    const vmId = await allocateOn(request.taskId, w);
    await executeReached(w, request.taskId);
    w.finish(request.taskId, 2, 'Traceback: ValueError: bad input');

    const watcher = new Watcher(client, { executionId, taskIds: [request.taskId] });
    await watcher.ended; // a stream over listed tasks ends once they are terminal
    expect(watcher.statuses.at(-1)).toMatchObject({
      state: S.TASK_STATE_FAILED,
      rc: 2,
      description: 'Traceback: ValueError: bad input',
    });
    await expect.poll(() => allocator.freed).toContain(vmId);
  });

  it('stops an executing task on its worker, frees the VM and ends STOPPED', async () => {
    const { executionId, userId } = ids();
    const w = await newWorker();
    const request = scheduleRequest({ executionId, userId });
    await schedule(client, request);
    const vmId = await allocateOn(request.taskId, w);
    await executeReached(w, request.taskId);
    w.startTask(request.taskId);

    const response = await unaryCall(client.stopTask.bind(client), {
      executionId,
      taskId: request.taskId,
      reason: 'graph stopped by the user',
    });
    expect(response.status).toMatchObject({
      state: S.TASK_STATE_STOPPED,
      description: 'graph stopped by the user',
    });
    expect(w.stopCalls).toEqual([{ taskId: request.taskId, reason: 'graph stopped by the user' }]);
    expect(allocator.freed).toContain(vmId);
    expect((await getTask(client, executionId, request.taskId)).state).toBe(S.TASK_STATE_STOPPED);
  });

  it('returns the existing task when the same task id is scheduled twice', async () => {
    const { executionId, userId } = ids();
    const request = scheduleRequest({ executionId, userId });
    await schedule(client, request);
    await schedule(client, request);
    const list = await unaryCall(client.listTasks.bind(client), { executionId });
    expect(list.tasks.map((t) => t.taskId)).toEqual([request.taskId]);
    await expect
      .poll(() => allocator.allocateCalls.filter((c) => c.idempotencyKey === request.taskId).length)
      .toBe(1);
    await unaryCall(client.stopTask.bind(client), {
      executionId,
      taskId: request.taskId,
      reason: '',
    });
  });

  it('fails a task whose pool the allocator does not know, naming the pool', async () => {
    const { executionId, userId } = ids();
    const request = scheduleRequest({ executionId, userId, pool: 'xl' });
    await schedule(client, request);
    const watcher = new Watcher(client, { executionId, taskIds: [request.taskId] });
    await watcher.ended;
    const last = watcher.statuses.at(-1);
    expect(last?.state).toBe(S.TASK_STATE_FAILED);
    expect(last?.description).toContain('"xl"');
  });

  it('fails a task whose allocation operation fails, with the allocator message', async () => {
    const { executionId, userId } = ids();
    const request = scheduleRequest({ executionId, userId });
    await schedule(client, request);
    await expect
      .poll(() => allocator.allocateCalls.some((c) => c.idempotencyKey === request.taskId))
      .toBe(true);
    allocator.fail(request.taskId, status.INVALID_ARGUMENT, 'zone "mars" is not in pool "s"');
    const watcher = new Watcher(client, { executionId, taskIds: [request.taskId] });
    await watcher.ended;
    expect(watcher.statuses.at(-1)).toMatchObject({
      state: S.TASK_STATE_FAILED,
      description: 'zone "mars" is not in pool "s"',
    });
  });

  it('waits out a full pool and allocates once it has room', async () => {
    const { executionId, userId } = ids();
    const w = await newWorker();
    allocator.fullPools.set('m', 2);
    const request = scheduleRequest({ executionId, userId, pool: 'm' });
    await schedule(client, request);
    await allocateOn(request.taskId, w);
    expect(allocator.fullPools.get('m')).toBe(0);
    await executeReached(w, request.taskId);
    w.finish(request.taskId, 0);
    await expect
      .poll(async () => (await getTask(client, executionId, request.taskId)).state)
      .toBe(S.TASK_STATE_SUCCEEDED);
  });

  it('holds a third task of a user QUEUED at the limit of 2 VMs until one ends', async () => {
    const { executionId, userId } = ids();
    const w = await newWorker();
    const [a, b, c] = [0, 1, 2].map(() => scheduleRequest({ executionId, userId }));
    for (const r of [a!, b!, c!]) await schedule(client, r);
    await allocateOn(a!.taskId, w);
    await allocateOn(b!.taskId, w);
    expect(allocator.allocateCalls.some((x) => x.idempotencyKey === c!.taskId)).toBe(false);
    expect((await getTask(client, executionId, c!.taskId)).state).toBe(S.TASK_STATE_QUEUED);

    await executeReached(w, a!.taskId);
    w.finish(a!.taskId, 0);
    await allocateOn(c!.taskId, w); // admitted as soon as a's VM was freed
    await executeReached(w, b!.taskId);
    w.finish(b!.taskId, 0);
    await executeReached(w, c!.taskId);
    w.finish(c!.taskId, 0);
    await expect
      .poll(async () => (await getTask(client, executionId, c!.taskId)).state)
      .toBe(S.TASK_STATE_SUCCEEDED);
  });

  it('fails a task whose worker VM died', async () => {
    const { executionId, userId } = ids();
    const w = await newWorker();
    const request = scheduleRequest({ executionId, userId });
    await schedule(client, request);
    const vmId = await allocateOn(request.taskId, w);
    await executeReached(w, request.taskId);
    allocator.killVm(vmId);
    await w.stop(); // the stream breaks, the allocator says the VM is gone
    const watcher = new Watcher(client, { executionId, taskIds: [request.taskId] });
    await watcher.ended;
    expect(watcher.statuses.at(-1)).toMatchObject({
      state: S.TASK_STATE_FAILED,
      description: 'worker VM lost',
    });
  });

  it('refuses callers that are not LZY services', async () => {
    const userClient = schedulerClient(running.port, 'user');
    try {
      await expect(
        unaryCall(userClient.listTasks.bind(userClient), { executionId: 'e' }),
      ).rejects.toThrow(PermissionDenied);
    } finally {
      userClient.close();
    }
  });
});
