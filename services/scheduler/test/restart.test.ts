import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { usePostgres } from '@lzy/testing';
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
const worker = new WorkerDouble();

beforeAll(async () => {
  await allocator.start(log);
  await worker.start(log);
});

afterAll(async () => {
  await worker.stop();
  await allocator.stop();
});

it('resumes an EXECUTING task after a restart and sees it succeed', async () => {
  const executionId = `exec-${randomUUID()}`;
  const request = scheduleRequest({ executionId, userId: `user-${randomUUID()}` });

  const first = await startTestScheduler(db.url, allocator.address);
  const firstClient = schedulerClient(first.port);
  try {
    await schedule(firstClient, request);
    await expect.poll(() => allocator.allocateCalls.length).toBe(1);
    const vmId = allocator.complete(request.taskId, worker.address);
    await expect.poll(() => worker.tasks.has(request.taskId)).toBe(true);
    worker.startTask(request.taskId);
    await expect
      .poll(async () => (await getTask(firstClient, executionId, request.taskId)).state)
      .toBe(S.TASK_STATE_EXECUTING);
    expect(vmId).toBeTruthy();
  } finally {
    firstClient.close();
    await first.stop();
  }

  const second = await startTestScheduler(db.url, allocator.address);
  const secondClient = schedulerClient(second.port);
  try {
    // Resumed: Execute again (same Idempotency-Key, the same worker operation), re-watched.
    await expect.poll(() => worker.tasks.get(request.taskId)?.executeCalls).toBe(2);
    const watcher = new Watcher(secondClient, { executionId, taskIds: [request.taskId] });
    worker.finish(request.taskId, 0);
    await watcher.ended;
    expect(watcher.statuses.at(-1)?.state).toBe(S.TASK_STATE_SUCCEEDED);
    expect(allocator.allocateCalls).toHaveLength(1);
    await expect.poll(() => allocator.freed).toEqual([allocator.allocateCalls[0]?.vmId]);
  } finally {
    secondClient.close();
    await second.stop();
  }
});
