import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unaryCall } from '@lzy/grpc';
import { portal } from '@lzy/proto';
import { CleanupStack, pollUntil } from '@lzy/testing';
import { PortalDouble } from './doubles/portal-double.ts';
import { sdkOpCall, writeOpModule } from './sdk-op-fixtures.ts';
import type { OpModule } from './sdk-op-fixtures.ts';
import {
  finishedOf,
  initAndExecute,
  log,
  startTestWorker,
  stdText,
  taskDesc,
  watchAll,
} from './worker-harness.ts';
import type { TestWorker } from './worker-harness.ts';

const cleanup = new CleanupStack();
afterEach(() => cleanup.close());

/** Runs one SDK op call as a task and waits for it: its finished event, std and result. */
async function runOp(
  w: TestWorker,
  call: { taskId: string; module: OpModule; exportName: string; args?: unknown[] },
  portalAddress?: string,
) {
  const { command, result } = await sdkOpCall(w, call);
  await initAndExecute(w, { taskId: call.taskId, desc: taskDesc(command), portalAddress });
  const events = await watchAll(w, call.taskId);
  const finished = finishedOf(events);
  return {
    finished,
    stdout: stdText(events, 'stdout'),
    stderr: stdText(events, 'stderr'),
    result: finished?.rc === 0 ? await result() : undefined,
  };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Live op host processes this test process (the worker) started. */
async function opHostPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const argv = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0');
      if (state !== 'Z' && Number(ppid) === process.pid && argv[1]?.endsWith('/op-host.ts'))
        pids.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return pids;
}

describe('warm op host', () => {
  it('starts with the worker: the first op runs in the host started before it', async () => {
    const w = await startTestWorker(cleanup);
    const [host] = await pollUntil(
      async () => {
        const pids = await opHostPids();
        return pids.length === 1 ? pids : undefined;
      },
      { timeoutMs: 20_000, description: 'an op host started with the worker' },
    );
    const module = await writeOpModule(cleanup);
    const first = await runOp(w, { taskId: 't-early-1', module, exportName: 'pid' });
    expect(first.result).toBe(host);
    expect(await opHostPids()).toEqual([host]);
  });

  it('runs a second SDK op call on the same VM in the same process', async () => {
    const w = await startTestWorker(cleanup);
    const module = await writeOpModule(cleanup);
    const first = await runOp(w, { taskId: 't-pid-1', module, exportName: 'pid' });
    const second = await runOp(w, { taskId: 't-pid-2', module, exportName: 'pid' });
    expect(first.finished).toEqual({ rc: 0, description: 'Success' });
    expect(second.finished).toEqual({ rc: 0, description: 'Success' });
    expect(typeof first.result).toBe('number');
    expect(first.result).not.toBe(process.pid);
    expect(second.result).toBe(first.result);
  });

  it("runs a module's top-level code once across two tasks", async () => {
    const w = await startTestWorker(cleanup);
    const module = await writeOpModule(cleanup);
    await runOp(w, { taskId: 't-load-1', module, exportName: 'pid' });
    const echo = await runOp(w, { taskId: 't-load-2', module, exportName: 'echo', args: [7] });
    expect(echo.result).toBe(7);
    expect(await readFile(module.loadsFile, 'utf8')).toBe('loaded\n');
  });

  it("gives each task exactly its own op's stdout and stderr, also on the portal", async () => {
    const portalDouble = new PortalDouble();
    const portalAddress = await portalDouble.start(log);
    cleanup.defer(() => portalDouble.stop());
    const w = await startTestWorker(cleanup);
    const module = await writeOpModule(cleanup);
    const one = await runOp(
      w,
      { taskId: 't-std-1', module, exportName: 'echo', args: [1] },
      portalAddress,
    );
    const two = await runOp(
      w,
      { taskId: 't-std-2', module, exportName: 'echo', args: [2] },
      portalAddress,
    );
    expect([one.stdout, one.stderr]).toEqual(['out 1\n', 'err 1\n']);
    expect([two.stdout, two.stderr]).toEqual(['out 2\n', 'err 2\n']);
    await expect
      .poll(() => portalDouble.text('t-std-2', portal.StdStream.STD_STREAM_STDOUT))
      .toBe('out 2\n');
    expect(portalDouble.text('t-std-2', portal.StdStream.STD_STREAM_STDERR)).toBe('err 2\n');
  });

  it('ends a throwing op with rc 1 and its stack in the description; the host stays', async () => {
    const w = await startTestWorker(cleanup);
    const module = await writeOpModule(cleanup);
    const before = await runOp(w, { taskId: 't-fail-0', module, exportName: 'pid' });
    const failed = await runOp(w, { taskId: 't-fail-1', module, exportName: 'fail' });
    expect(failed.finished?.rc).toBe(1);
    expect(failed.finished?.description).toMatch(/^Error: boom from the op\n\s+at /);
    const after = await runOp(w, { taskId: 't-fail-2', module, exportName: 'pid' });
    expect(after.result).toBe(before.result);
  });

  it('ends an op calling process.exit(3) with rc 3; the next op runs on a new host', async () => {
    const w = await startTestWorker(cleanup);
    const module = await writeOpModule(cleanup);
    const before = await runOp(w, { taskId: 't-exit-0', module, exportName: 'pid' });
    const exited = await runOp(w, { taskId: 't-exit-1', module, exportName: 'exit3' });
    expect(exited.finished?.rc).toBe(3);
    expect(exited.stdout).toBe('about to exit\n');
    expect(exited.finished?.description).toContain('op host process');
    expect(exited.finished?.description).toContain('exit code 3');
    const after = await runOp(w, { taskId: 't-exit-2', module, exportName: 'pid' });
    expect(after.finished?.rc).toBe(0);
    expect(after.result).not.toBe(before.result);
    expect(isAlive(before.result as number)).toBe(false);
  });

  it('StopTask kills the host running the op; the next op gets a fresh host', async () => {
    const w = await startTestWorker(cleanup);
    const module = await writeOpModule(cleanup);
    const { command } = await sdkOpCall(w, { taskId: 't-stop', module, exportName: 'sleepy' });
    await initAndExecute(w, { taskId: 't-stop', desc: taskDesc(command) });
    let pid = 0;
    const events = await watchAll(w, 't-stop', (e) => {
      if (e.event?.$case === 'stdout' && pid === 0) {
        pid = Number(e.event.value.data.toString('utf8').trim());
        void unaryCall(w.client.stop.bind(w.client), { taskId: 't-stop', reason: 'test stop' });
      }
    });
    expect(pid).toBeGreaterThan(0);
    expect(finishedOf(events)).toEqual({ rc: 143, description: 'task stopped: test stop' });
    expect(isAlive(pid)).toBe(false);
    const after = await runOp(w, { taskId: 't-stop-2', module, exportName: 'pid' });
    expect(after.finished?.rc).toBe(0);
    expect(after.result).not.toBe(pid);
  });

  it('StopTask of an op that already finished leaves the host running the next op', async () => {
    const w = await startTestWorker(cleanup);
    const module = await writeOpModule(cleanup);
    await runOp(w, { taskId: 't-done', module, exportName: 'pid' });
    const { command, result } = await sdkOpCall(w, {
      taskId: 't-next',
      module,
      exportName: 'waitForGo',
    });
    await initAndExecute(w, { taskId: 't-next', desc: taskDesc(command) });
    let released = false;
    const events = await watchAll(w, 't-next', (e) => {
      if (e.event?.$case !== 'stdout' || released) return;
      released = true;
      void (async () => {
        await unaryCall(w.client.stop.bind(w.client), { taskId: 't-done', reason: 'late stop' });
        await writeFile(path.join(w.mountDir, 't-next', 'go'), '');
      })();
    });
    expect(finishedOf(events)).toEqual({ rc: 0, description: 'Success' });
    expect(await result()).toBe('went');
  });

  it('starts a fresh host when a module it loaded changed', async () => {
    const w = await startTestWorker(cleanup);
    const module = await writeOpModule(cleanup);
    const v1 = await runOp(w, { taskId: 't-ver-1', module, exportName: 'version' });
    await module.write('v2');
    const v2 = await runOp(w, { taskId: 't-ver-2', module, exportName: 'version' });
    expect([v1.result, v2.result]).toEqual(['v1', 'v2']);
    expect(await readFile(module.loadsFile, 'utf8')).toBe('loaded\nloaded\n');
  });

  it('starts a process per op with LZY_WORKER_OP_HOST=false', async () => {
    const w = await startTestWorker(cleanup, { LZY_WORKER_OP_HOST: 'false' });
    const module = await writeOpModule(cleanup);
    const first = await runOp(w, { taskId: 't-cold-1', module, exportName: 'pid' });
    const second = await runOp(w, { taskId: 't-cold-2', module, exportName: 'pid' });
    expect(second.result).not.toBe(first.result);
    expect(await readFile(module.loadsFile, 'utf8')).toBe('loaded\nloaded\n');
  });
});
