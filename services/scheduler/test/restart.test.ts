import { afterAll, beforeAll, expect, it } from 'vitest';
import { usePostgres } from '@lzy/testing';
import { AllocatorDouble } from './allocator-double.ts';
import {
  S,
  getTask,
  log,
  schedulerClient,
  schedulerTemplate,
  startTestScheduler,
  submit,
  submitRequest,
  task,
} from './harness.ts';
import { WorkerDouble } from './worker-double.ts';

const db = usePostgres({ template: schedulerTemplate });
const allocator = new AllocatorDouble();
const worker = new WorkerDouble();

beforeAll(async () => {
  await allocator.start(log);
  await worker.start(log);
  allocator.vmFactory = () => Promise.resolve(worker.address);
});

afterAll(async () => {
  await worker.stop();
  await allocator.stop();
});

it('takes its held VM back after a restart: the running task finishes there, the next one runs', async () => {
  const request = submitRequest([task('a'), task('b', { after: ['a'] })]);
  const first = await startTestScheduler(db.url, allocator.address);
  const firstClient = schedulerClient(first.port);
  try {
    await submit(firstClient, request);
    await expect.poll(() => worker.tasks.has('a')).toBe(true);
    worker.startTask('a');
    await expect
      .poll(async () => (await getTask(firstClient, request.executionId, 'a')).state)
      .toBe(S.TASK_STATE_EXECUTING);
  } finally {
    firstClient.close();
    await first.stop();
  }
  // While no scheduler runs, the task ends on its worker.
  worker.exit('a');
  worker.done('a');

  const second = await startTestScheduler(db.url, allocator.address);
  const secondClient = schedulerClient(second.port);
  try {
    // The new process re-attaches to the same VM, learns that a ended, and runs b there.
    await expect.poll(() => worker.tasks.has('b'), { timeout: 10_000 }).toBe(true);
    worker.succeed('b');
    await expect
      .poll(async () => (await getTask(secondClient, request.executionId, 'b')).state)
      .toBe(S.TASK_STATE_SUCCEEDED);
    expect((await getTask(secondClient, request.executionId, 'a')).state).toBe(
      S.TASK_STATE_SUCCEEDED,
    );
    expect(allocator.allocateCalls).toHaveLength(1);
    expect(worker.attaches).toHaveLength(2);
  } finally {
    secondClient.close();
    await second.stop();
  }
});
