import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlreadyExists, InvalidArgument, PermissionDenied } from '@lzy/errors';
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
  schedulerClient,
  schedulerTemplate,
  startTestScheduler,
  submit,
  submitRequest,
  task,
} from './harness.ts';
import { PortalStdDouble } from './portal-std-double.ts';
import { WorkerDouble } from './worker-double.ts';

const db = usePostgres({ template: schedulerTemplate });
const allocator = new AllocatorDouble();
const workers: WorkerDouble[] = [];
let running: RunningScheduler;
let client: scheduler.SchedulerServiceClient;

/** Workers end every task at once with rc 0 (set by a test, reset after it). */
let autoWorkers = false;

/** Each new allocation gets a fresh worker double, at once. */
async function newWorker(): Promise<WorkerDouble> {
  const w = new WorkerDouble();
  w.auto = autoWorkers;
  await w.start(log);
  workers.push(w);
  return w;
}

beforeAll(async () => {
  await allocator.start(log);
  allocator.vmFactory = async () => (await newWorker()).address;
  running = await startTestScheduler(db.url, allocator.address, {
    LZY_SCHEDULER_MAX_VMS_PER_USER: '2',
    LZY_SCHEDULER_VM_LINGER_MS: '300',
  });
  client = schedulerClient(running.port);
});

afterAll(async () => {
  client?.close();
  await running?.stop();
  for (const w of workers) await w.stop();
  await allocator.stop();
});

function setAuto(auto: boolean): void {
  autoWorkers = auto;
  for (const w of workers) w.auto = auto;
}

afterEach(() => setAuto(false));

/** The worker double that got task `taskId`. */
async function workerOf(taskId: string): Promise<WorkerDouble> {
  await expect.poll(() => workers.some((w) => w.tasks.has(taskId)), { timeout: 10_000 }).toBe(true);
  return workers.find((w) => w.tasks.has(taskId))!;
}

function state(request: scheduler.SubmitRequest, taskId: string) {
  return async () => (await getTask(client, request.executionId, taskId)).state;
}

describe('scheduler (warm dispatch)', () => {
  it('runs a chain on one held VM: one Allocate, the next task sent when the previous exits, with its input sender', async () => {
    const request = submitRequest([
      task('a'),
      task('b', { after: ['a'] }),
      task('c', { after: ['b'] }),
    ]);
    const allocationsBefore = allocator.allocateCalls.length;
    const watcher = new Watcher(client, { executionId: request.executionId, afterVersion: 0 });
    try {
      await submit(client, request);
      const w = await workerOf('a');
      expect(await getTask(client, request.executionId, 'b')).toMatchObject({
        state: S.TASK_STATE_WAITING,
      });
      w.startTask('a');
      w.exit('a');
      // b starts on the same VM as soon as a exited, before a is done (its outputs bound).
      await expect.poll(() => w.tasks.has('b')).toBe(true);
      expect(w.tasks.get('b')?.run.inputSenders).toEqual([
        { channelId: 'a-out', slotUri: `slot://${w.address}/a/a-out` },
      ]);
      w.done('a');
      w.succeed('b');
      await expect.poll(() => w.tasks.has('c')).toBe(true);
      w.succeed('c');
      await expect.poll(state(request, 'c')).toBe(S.TASK_STATE_SUCCEEDED);
      expect(allocator.allocateCalls.length - allocationsBefore).toBe(1);
      expect(allocator.freed).not.toContain(allocator.vmIds().at(-1));
      // Pushed on WatchTasks, in order, with timings and the attempt.
      await expect.poll(() => watcher.last('c')?.state).toBe(S.TASK_STATE_SUCCEEDED);
      expect(watcher.states('b')[0]).toBe(S.TASK_STATE_WAITING);
      const c = watcher.last('c')!;
      expect(c.attempt).toBe(1);
      expect(c.vmId).toBe(allocator.vmIds().at(-1));
      expect(c.queuedAt!.getTime()).toBeLessThanOrEqual(c.finishedAt!.getTime());
    } finally {
      watcher.cancel();
    }
  });

  it('packs tasks whose needs fit one VM and holds the rest until capacity frees up', async () => {
    const needs = { cpu: 1, gpu: 0, ramGb: 0.5 };
    const request = submitRequest(['p1', 'p2', 'p3'].map((id) => task(id, { needs })));
    const before = allocator.allocateCalls.length;
    await submit(client, request);
    const w = await workerOf('p1');
    await expect.poll(() => w.running()).toBe(2); // 2 CPUs: two at once on one VM
    // The third waits for room (a second VM is allocated for it, within the user's limit).
    await expect.poll(() => allocator.allocateCalls.length - before).toBe(2);
    w.succeed([...w.tasks.keys()][0]!);
    for (const id of ['p1', 'p2', 'p3']) {
      const holder = await workerOf(id);
      if ((holder.tasks.get(id)?.events.length ?? 0) === 0) holder.succeed(id);
    }
    for (const id of ['p1', 'p2', 'p3'])
      await expect.poll(state(request, id)).toBe(S.TASK_STATE_SUCCEEDED);
  });

  it('says why a task waits when its user holds the most VMs one user may, and clears it once it runs', async () => {
    // Whole-VM tasks of one user: 2 VMs at most (LZY_SCHEDULER_MAX_VMS_PER_USER in beforeAll).
    const request = submitRequest([task('cap1'), task('cap2'), task('cap3')]);
    await submit(client, request);
    const first = await workerOf('cap1');
    await workerOf('cap2');
    const third = await getTask(client, request.executionId, 'cap3');
    await expect
      .poll(async () => (await getTask(client, request.executionId, 'cap3')).description)
      .toMatch(/waiting for a VM: user .* holds 2 VMs.*LZY_SCHEDULER_MAX_VMS_PER_USER/);
    expect(third.state).toBe(S.TASK_STATE_QUEUED);
    first.succeed('cap1');
    const holder = await workerOf('cap3');
    await expect.poll(state(request, 'cap3')).toBe(S.TASK_STATE_EXECUTING);
    expect((await getTask(client, request.executionId, 'cap3')).description).toBe('');
    holder.succeed('cap3');
    (await workerOf('cap2')).succeed('cap2');
    for (const id of ['cap2', 'cap3'])
      await expect.poll(state(request, id)).toBe(S.TASK_STATE_SUCCEEDED);
  });

  it('gives an idle VM back after the linger and allocates again for later work', async () => {
    const userId = `user-${Math.random()}`;
    const first = submitRequest([task('l1')], { userId });
    await submit(client, first);
    const w = await workerOf('l1');
    w.succeed('l1');
    const vmId = allocator.allocateCalls.at(-1)!.vmId;
    await expect.poll(() => allocator.freed.includes(vmId), { timeout: 5_000 }).toBe(true);
    const later = submitRequest([task('l2')], { userId, executionId: first.executionId });
    await submit(client, later);
    (await workerOf('l2')).succeed('l2');
    await expect.poll(state(later, 'l2')).toBe(S.TASK_STATE_SUCCEEDED);
  });

  it("runs a lost VM's task again on another VM, then fails it with rc 98 once attempts run out", async () => {
    const request = submitRequest([task('r1', { maxAttempts: 2 })]);
    await submit(client, request);
    const first = await workerOf('r1');
    first.startTask('r1');
    const firstVm = allocator.allocateCalls.at(-1)!.vmId;
    allocator.killVm(firstVm, 'process exited with signal SIGKILL');
    await expect
      .poll(() => workers.filter((w) => w.tasks.has('r1')).length, { timeout: 10_000 })
      .toBe(2);
    await expect
      .poll(async () => (await getTask(client, request.executionId, 'r1')).attempt)
      .toBe(2);
    const retry = await getTask(client, request.executionId, 'r1');
    expect(retry.description).toMatch(/attempt 1 of 2 lost its VM .* running it again/);
    allocator.killVm(allocator.allocateCalls.at(-1)!.vmId, 'node lost');
    await expect.poll(state(request, 'r1'), { timeout: 10_000 }).toBe(S.TASK_STATE_FAILED);
    const failed = await getTask(client, request.executionId, 'r1');
    expect(failed.rc).toBe(98);
    expect(failed.description).toMatch(/worker VM lost: node lost \(attempt 2 of 2\)/);
  });

  it('fails a task when its op exits non-zero, without running it again', async () => {
    const request = submitRequest([task('f1'), task('f2', { after: ['f1'] })]);
    await submit(client, request);
    const w = await workerOf('f1');
    w.startTask('f1');
    w.done('f1', 1, 'Traceback: boom');
    await expect.poll(state(request, 'f1')).toBe(S.TASK_STATE_FAILED);
    expect(await getTask(client, request.executionId, 'f1')).toMatchObject({
      rc: 1,
      description: 'Traceback: boom',
      attempt: 1,
    });
    expect(await getTask(client, request.executionId, 'f2')).toMatchObject({
      state: S.TASK_STATE_WAITING,
    });
  });

  it('runs a task that asked for it again after its own failure, and tells the user on stderr', async () => {
    const portal = new PortalStdDouble();
    await portal.start(log);
    try {
      const request = {
        ...submitRequest([task('rf1', { maxAttempts: 2, retryOnFailure: true })]),
        portalAddress: portal.address,
      };
      await submit(client, request);
      const w = await workerOf('rf1');
      w.startTask('rf1');
      w.done('rf1', 1, 'Traceback: flaky');
      await expect
        .poll(async () => (await getTask(client, request.executionId, 'rf1')).attempt)
        .toBe(2);
      const again = workers.find((x) => x.tasks.get('rf1')?.run.attempt === 2);
      expect(again).toBeDefined();
      await expect
        .poll(() => portal.lines.map((l) => l.text).join(''))
        .toMatch(
          /\[LZY\] op 'train' \(task rf1\): attempt 1 of 2 failed \(exit code 1: Traceback: flaky\); running it again/,
        );
      expect(portal.lines.every((l) => l.taskId === 'rf1' && l.stream === 'stderr')).toBe(true);
      again!.startTask('rf1');
      again!.done('rf1', 1, 'Traceback: flaky again');
      await expect.poll(state(request, 'rf1')).toBe(S.TASK_STATE_FAILED);
      expect(await getTask(client, request.executionId, 'rf1')).toMatchObject({
        rc: 1,
        attempt: 2,
        description: 'Traceback: flaky again (attempt 2 of 2)',
      });
    } finally {
      await portal.stop();
    }
  });

  it('runs a task again after an internal failure of the worker (rc 98) by default', async () => {
    const request = submitRequest([task('ie1')]);
    await submit(client, request);
    const w = await workerOf('ie1');
    w.done('ie1', 98, 'cannot read input slot');
    await expect
      .poll(async () => (await getTask(client, request.executionId, 'ie1')).attempt)
      .toBe(2);
    const again = workers.find((x) => x.tasks.get('ie1')?.run.attempt === 2)!;
    again.succeed('ie1');
    await expect.poll(state(request, 'ie1')).toBe(S.TASK_STATE_SUCCEEDED);
  });

  it('stops waiting and running tasks: STOPPED with the reason, the worker told', async () => {
    const request = submitRequest([task('s1'), task('s2', { after: ['s1'] })]);
    await submit(client, request);
    const w = await workerOf('s1');
    w.startTask('s1');
    await unaryCall(client.stopTasks.bind(client), {
      executionId: request.executionId,
      taskIds: [],
      reason: 'graph failed',
    });
    for (const id of ['s1', 's2']) {
      const t = await getTask(client, request.executionId, id);
      expect([t.state, t.description]).toEqual([S.TASK_STATE_STOPPED, 'graph failed']);
    }
    await expect.poll(() => w.stops.map((s) => s.taskId)).toEqual(['s1']);
  });

  it('refuses unknown pools, needs larger than the VM and unknown dependencies, naming them', async () => {
    const submitOf = (tasks: scheduler.SubmitTask[]) => submit(client, submitRequest(tasks));
    await expect(submitOf([task('x', { pool: 'xxl' })])).rejects.toThrow(/unknown pool 'xxl'/);
    await expect(submitOf([task('y', { needs: { cpu: 3, gpu: 0, ramGb: 1 } })])).rejects.toThrow(
      InvalidArgument,
    );
    await expect(submitOf([task('z', { after: ['nowhere'] })])).rejects.toThrow(/nowhere/);
  });

  it('takes a repeated Submit as a no-op and a different task under a known id as ALREADY_EXISTS', async () => {
    setAuto(true);
    const request = submitRequest([task('i1')]);
    await submit(client, request);
    await submit(client, request);
    const other = { ...request, tasks: [task('i1', { pool: 'm' })] };
    await expect(submit(client, other)).rejects.toThrow(AlreadyExists);
    await expect.poll(state(request, 'i1'), { timeout: 10_000 }).toBe(S.TASK_STATE_SUCCEEDED);
  });

  it('resumes WatchTasks after the last version received', async () => {
    setAuto(true);
    const request = submitRequest([task('w1'), task('w2', { after: ['w1'] })]);
    await submit(client, request);
    await expect.poll(state(request, 'w2'), { timeout: 10_000 }).toBe(S.TASK_STATE_SUCCEEDED);
    const all = new Watcher(client, { executionId: request.executionId, afterVersion: 0 });
    await expect
      .poll(() => [all.last('w1')?.state, all.last('w2')?.state])
      .toEqual([S.TASK_STATE_SUCCEEDED, S.TASK_STATE_SUCCEEDED]);
    all.cancel();
    const [earlier, later] = [all.last('w1')!, all.last('w2')!].sort(
      (a, b) => a.version - b.version,
    );
    const after = new Watcher(client, {
      executionId: request.executionId,
      afterVersion: earlier!.version,
    });
    await expect.poll(() => after.statuses.map((s) => s.taskId)).toEqual([later!.taskId]);
    after.cancel();
  });

  it('refuses callers that are not internal services', async () => {
    const user = schedulerClient(running.port, 'user');
    try {
      await expect(submit(user, submitRequest([task('u1')]))).rejects.toThrow(PermissionDenied);
    } finally {
      user.close();
    }
  });

  it("refuses a VM of bob that submits a task as alice, and runs the services' submit", async () => {
    const vm = schedulerClient(running.port, 'bobvm');
    const request = submitRequest([task('vm1')], { userId: 'alice' });
    try {
      await expect(submit(vm, request)).rejects.toThrow(/LZY services only: VMs/);
      await expect(getTask(vm, request.executionId, 'vm1')).rejects.toThrow(
        /LZY services only: VMs/,
      );
    } finally {
      vm.close();
    }
    await submit(client, request);
    expect(await getTask(client, request.executionId, 'vm1')).toBeDefined();
  });
});
