import { appendFile } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unaryCall } from '@lzy/grpc';
import { CleanupStack } from '@lzy/testing';
import {
  PROBE_INIT,
  importCount,
  isGone,
  probeModules,
  probeReport,
  runProbe,
  startupCommand,
} from './fork-server-fixtures.ts';
import { pylzyYaml, pythonTaskDesc, pythonToolchain, pythonWorkerEnv } from './python-fixtures.ts';
import type { PythonToolchain } from './python-fixtures.ts';
import {
  finishedOf,
  initAndExecute,
  startTestWorker,
  stdText,
  watchAll,
} from './worker-harness.ts';
import type { TestWorker } from './worker-harness.ts';

/** The fork server's life: Stop, death, files that change, environments it cannot serve. */

const cleanup = new CleanupStack();
afterEach(() => cleanup.close());

let tools: PythonToolchain;
beforeAll(() => {
  tools = pythonToolchain();
});

async function forkingWorker(sources: { init?: string; startup?: string } = {}) {
  const w = await startTestWorker(cleanup, await pythonWorkerEnv(cleanup, tools));
  const op = {
    minor: tools.minor,
    localModules: await probeModules(cleanup, tools.pythonPath, sources),
  };
  return { w, op };
}

/** The parent of the op's interpreter: the fork server, or (bash execs python) the worker. */
async function parentOf(
  w: TestWorker,
  taskId: string,
  op: { minor: string; localModules: Array<{ name: string; uri: string }> },
) {
  const result = await runProbe(w, taskId, { ...op, mode: 'ppid' });
  expect(result.rc, result.stderr).toBe(0);
  return Number(result.stdout.trim());
}

describe('fork server lifecycle', () => {
  it('Stop kills a forked op and what it started', async () => {
    const { w, op } = await forkingWorker();
    const desc = pythonTaskDesc(startupCommand('sleep-child'), pylzyYaml(op.minor, []), op);
    await initAndExecute(w, { taskId: 't-stop', desc });
    let pids: number[] = [];
    const events = await watchAll(w, 't-stop', (e) => {
      if (e.event?.$case !== 'stdout' || pids.length > 0) return;
      pids = e.event.value.data.toString('utf8').trim().split(' ').map(Number);
      void unaryCall(w.client.stop.bind(w.client), { taskId: 't-stop', reason: 'test stop' });
    });
    const [server = 0, opPid = 0, sleepPid = 0] = pids;
    expect(server).not.toBe(process.pid);
    expect(finishedOf(events)).toEqual({ rc: 143, description: 'task stopped: test stop' });
    await expect.poll(() => isGone(opPid)).toBe(true);
    await expect.poll(() => isGone(sleepPid)).toBe(true);
    // The server stays for the next op.
    expect(await parentOf(w, 't-after-stop', op)).toBe(server);
  });

  it('restarts a fork server that died', async () => {
    const { w, op } = await forkingWorker();
    const first = await parentOf(w, 't-1', op);
    expect(first).not.toBe(process.pid);
    process.kill(first, 'SIGKILL');
    await expect.poll(() => isGone(first)).toBe(true);
    const second = await parentOf(w, 't-2', op);
    expect([second === first, second === process.pid]).toEqual([false, false]);
    expect(await parentOf(w, 't-3', op)).toBe(second);
  });

  it('fails the task with rc 98 when the server dies while its op runs', async () => {
    const { w, op } = await forkingWorker();
    const desc = pythonTaskDesc(startupCommand('sleep-child'), pylzyYaml(op.minor, []), op);
    await initAndExecute(w, { taskId: 't-lost', desc });
    let pids: number[] = [];
    const events = await watchAll(w, 't-lost', (e) => {
      if (e.event?.$case !== 'stdout' || pids.length > 0) return;
      pids = e.event.value.data.toString('utf8').trim().split(' ').map(Number);
      process.kill(pids[0] ?? 0, 'SIGKILL');
    });
    expect(finishedOf(events)?.rc).toBe(98);
    expect(stdText(events, 'stderr')).toMatch(
      /\n\[LZY-WORKER\] the fork server ended \(signal SIGKILL\) while the op ran; the op was killed\n$/,
    );
    await expect.poll(() => isGone(pids[1] ?? 0)).toBe(true);
    await expect.poll(() => isGone(pids[2] ?? 0)).toBe(true);
    // The next op gets a new server.
    const next = await parentOf(w, 't-next', op);
    expect([next === pids[0], next === process.pid]).toEqual([false, false]);
  });

  it('runs an op with bash when the start-up script changed, the next on a new server', async () => {
    const { w, op } = await forkingWorker();
    const report = probeReport(await runProbe(w, 't-report', { ...op, mode: 'report' }));
    const server = await parentOf(w, 't-1', op);
    await appendFile(report.file, '\nprint("edited")\n');

    const changed = await runProbe(w, 't-2', { ...op, mode: 'ppid' });
    expect(changed.stdout).toBe(`${process.pid}\nedited\n`);
    const next = await runProbe(w, 't-3', { ...op, mode: 'ppid' });
    const [parent, edited] = next.stdout.split('\n');
    expect([parent === String(server), parent === String(process.pid), edited]).toEqual([
      false,
      false,
      'edited',
    ]);
  });

  it('runs the ops of an environment whose server cannot start with bash', async () => {
    // Threads started at import do not survive a fork: the server refuses to serve.
    const init = `${PROBE_INIT}\nimport threading, time\nthreading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n`;
    const { w, op } = await forkingWorker({ init });
    for (const taskId of ['t-1', 't-2']) {
      const result = await runProbe(w, taskId, { ...op, mode: 'hello' });
      expect(result).toMatchObject({ rc: 0, stdout: 'hello from the op\n' });
      expect(await parentOf(w, `${taskId}-ppid`, op)).toBe(process.pid);
    }
  });

  it('runs with bash a start-up script whose import section reads what differs per op', async () => {
    const startup = `import sys\nMODE = sys.argv[-1]\nsys.path.pop(0)\nimport lzy.api.v1\nprint("mode", MODE)\n`;
    const { w, op } = await forkingWorker({ startup });
    const result = await runProbe(w, 't-argv', { ...op, mode: 'hello' });
    expect(result, result.stderr).toMatchObject({ rc: 0, stdout: 'mode aGVsbG8=\n' });
    const again = await runProbe(w, 't-argv-2', { ...op, mode: 'ppid' });
    expect(again.stdout).toBe('mode cHBpZA==\n');
  });

  it('runs any other command of a Python op with bash', async () => {
    const { w, op } = await forkingWorker();
    const report = probeReport(await runProbe(w, 't-report', { ...op, mode: 'report' }));
    const imports = await importCount(report.file);
    const command = `echo "$0"; python -c 'import os; print(os.getppid())'`;
    const desc = pythonTaskDesc(command, pylzyYaml(op.minor, []), op);
    await initAndExecute(w, { taskId: 't-bash', desc });
    const events = await watchAll(w, 't-bash');
    expect(finishedOf(events)?.rc).toBe(0);
    // bash execs the last command of its list: python's parent is the worker.
    expect(stdText(events, 'stdout')).toBe(`bash\n${process.pid}\n`);
    expect(await importCount(report.file)).toBe(imports);
  });
});
