import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FailedPrecondition, Unauthenticated } from '@lzy/errors';
import { createChannelClient, serverStream, unaryCall } from '@lzy/grpc';
import { longrunning, portal, worker } from '@lzy/proto';
import { CleanupStack } from '@lzy/testing';
import { PortalDouble } from './doubles/portal-double.ts';
import {
  finishedOf,
  initAndExecute,
  internalClient,
  log,
  startTestWorker,
  stdText,
  taskDesc,
  vmClient,
  watchAll,
} from './worker-harness.ts';

const cleanup = new CleanupStack();
afterEach(() => cleanup.close());

describe('worker Execute', () => {
  it('streams stdout to a watcher while the command is still running', async () => {
    const w = await startTestWorker(cleanup);
    const command = 'echo hello; while [ ! -e "$LZY_MOUNT/go" ]; do sleep 0.02; done; echo bye';
    await initAndExecute(w, { taskId: 't-live', desc: taskDesc(command) });
    let released = false;
    const events = await watchAll(w, 't-live', (e) => {
      if (e.event?.$case === 'stdout' && !released) {
        released = true;
        // The command only goes on once we saw its first chunk: proof that std is pushed live.
        void writeFile(path.join(w.mountDir, 't-live', 'go'), '');
      }
    });
    expect(events[0]?.event?.$case).toBe('started');
    expect(stdText(events, 'stdout')).toBe('hello\nbye\n');
    expect(finishedOf(events)).toEqual({ rc: 0, description: 'Success' });
  });

  it('finishes a failing command with its rc and the last 20 lines of stderr', async () => {
    const w = await startTestWorker(cleanup);
    const command = 'for i in $(seq 1 30); do echo line$i >&2; done; exit 3';
    const op = await initAndExecute(w, { taskId: 't-rc3', desc: taskDesc(command) });
    const finished = finishedOf(await watchAll(w, 't-rc3'));
    expect(finished?.rc).toBe(3);
    expect(finished?.description).toMatch(/^line11\n/);
    expect(finished?.description).toMatch(/line30$/);
    expect(finished?.description).not.toContain('line10\n');

    const lro = await internalClient(
      longrunning.LongRunningServiceClient,
      w.running.address,
      cleanup,
    );
    const done = await unaryCall(lro.get.bind(lro), { operationId: op.id });
    expect(done.done).toBe(true);
    expect(done.result?.$case).toBe('response');
    if (done.result?.$case === 'response')
      expect(worker.ExecuteResponse.decode(done.result.value.value).rc).toBe(3);
  });

  it('Stop kills the running command and its process group', async () => {
    const w = await startTestWorker(cleanup);
    const op = await initAndExecute(w, { taskId: 't-stop', desc: taskDesc('echo $$; sleep 600') });
    let pid = 0;
    const watching = watchAll(w, 't-stop', (e) => {
      if (e.event?.$case === 'stdout' && pid === 0) {
        pid = Number(e.event.value.data.toString('utf8').trim());
        void unaryCall(w.client.stop.bind(w.client), { taskId: 't-stop', reason: 'test stop' });
      }
    });
    const finished = finishedOf(await watching);
    expect(pid).toBeGreaterThan(0);
    expect(finished?.description).toBe('task stopped: test stop');
    expect(finished?.rc).toBe(143);
    expect(() => process.kill(-pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));

    const lro = await internalClient(
      longrunning.LongRunningServiceClient,
      w.running.address,
      cleanup,
    );
    const done = await unaryCall(lro.get.bind(lro), { operationId: op.id });
    expect(done.result?.$case === 'error' && done.result.value.code).toBe(1); // CANCELLED
  });

  it('runs a task once when Execute is called twice with the same task id', async () => {
    const w = await startTestWorker(cleanup);
    const desc = taskDesc('echo ran >> runs.txt; cat runs.txt');
    const first = await initAndExecute(w, { taskId: 't-once', desc });
    const second = await initAndExecute(w, { taskId: 't-once', desc });
    expect(second.id).toBe(first.id);
    const events = await watchAll(w, 't-once');
    expect(stdText(events, 'stdout')).toBe('ran\n');
    const third = await initAndExecute(w, { taskId: 't-once', desc });
    expect(third.id).toBe(first.id);
  });

  it('sends std chunks to the portal with WriteStd', async () => {
    const portalDouble = new PortalDouble();
    const portalAddress = await portalDouble.start(log);
    cleanup.defer(() => portalDouble.stop());
    const w = await startTestWorker(cleanup);
    const desc = taskDesc('echo out; echo err >&2');
    await initAndExecute(w, { taskId: 't-portal', desc, portalAddress });
    await watchAll(w, 't-portal');
    await expect
      .poll(() => portalDouble.text('t-portal', portal.StdStream.STD_STREAM_STDOUT))
      .toBe('out\n');
    expect(portalDouble.text('t-portal', portal.StdStream.STD_STREAM_STDERR)).toBe('err\n');
  });

  it('refuses Execute before Init and Init of another user', async () => {
    const w = await startTestWorker(cleanup);
    const execute = unaryCall(w.client.execute.bind(w.client), {
      taskId: 't-x',
      executionId: 'e1',
      taskDesc: taskDesc('true'),
      portalAddress: '',
    });
    await expect(execute).rejects.toBeInstanceOf(FailedPrecondition);
    const init = (userId: string) =>
      unaryCall(w.client.init.bind(w.client), { userId, workflowName: 'wf', executionId: 'e1' });
    await init('u1');
    await expect(init('u2')).rejects.toBeInstanceOf(FailedPrecondition);
  });

  it('refuses a caller without credentials', async () => {
    const w = await startTestWorker(cleanup);
    const anonymous = createChannelClient(worker.WorkerServiceClient, w.running.address);
    cleanup.defer(() => anonymous.close());
    const init = unaryCall(anonymous.init.bind(anonymous), {
      userId: 'u1',
      workflowName: 'wf',
      executionId: 'e1',
    });
    await expect(init).rejects.toBeInstanceOf(Unauthenticated);
  });

  it("refuses a VM, even of the task's own user, Init, Execute, Stop and WatchExecution", async () => {
    const w = await startTestWorker(cleanup);
    await initAndExecute(w, { taskId: 't-guarded', desc: taskDesc('sleep 600') });
    const vm = await vmClient(worker.WorkerServiceClient, w.running.address, 'vm-u1-1', cleanup);
    const refused = /LZY services only: VMs/;
    await expect(unaryCall(vm.stop.bind(vm), { taskId: 't-guarded', reason: 'x' })).rejects.toThrow(
      refused,
    );
    await expect(
      unaryCall(vm.init.bind(vm), { userId: 'u', workflowName: 'wf', executionId: 'e1' }),
    ).rejects.toThrow(refused);
    await expect(
      unaryCall(vm.execute.bind(vm), {
        taskId: 't-planted',
        executionId: 'e1',
        taskDesc: taskDesc('true'),
        portalAddress: '',
      }),
    ).rejects.toThrow(refused);
    const watch = serverStream(vm.watchExecution.bind(vm), {
      taskId: 't-guarded',
      stdoutOffset: 0,
      stderrOffset: 0,
    });
    await expect(watch.next()).rejects.toThrow(refused);
    await unaryCall(w.client.stop.bind(w.client), { taskId: 't-guarded', reason: 'test over' });
    expect(finishedOf(await watchAll(w, 't-guarded'))).toBeDefined();
  });
});
