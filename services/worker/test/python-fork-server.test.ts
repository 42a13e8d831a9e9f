import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CleanupStack } from '@lzy/testing';
import {
  importCount,
  probeModules,
  probeReport,
  runProbe,
  startupCommand,
} from './fork-server-fixtures.ts';
import type { OpResult } from './fork-server-fixtures.ts';
import { pylzyYaml, pythonTaskDesc, pythonToolchain, pythonWorkerEnv } from './python-fixtures.ts';
import type { PythonToolchain } from './python-fixtures.ts';
import { initAndExecute, startTestWorker, stdText, watchAll } from './worker-harness.ts';
import type { TestWorker } from './worker-harness.ts';

/**
 * Python start-up commands (python-client-protocol §4.4) run as forks of a warm interpreter per
 * environment: each op must get what `bash -c 'python -u …/startup.py <payload>'` gives it. Every
 * comparison runs the same probe through a worker with the fork server and one without.
 */

const cleanup = new CleanupStack();
afterEach(() => cleanup.close());

let tools: PythonToolchain;
beforeAll(() => {
  tools = pythonToolchain();
});

/** `3.X` → interpreter, for the versions the worker must serve (pyenv's, else the machine's). */
function interpreters(): Record<string, string> {
  const found: Record<string, string> = {};
  const pyenv = path.join(os.homedir(), '.pyenv', 'versions');
  const installed = existsSync(pyenv) ? readdirSync(pyenv) : [];
  for (const minor of ['3.8', '3.9', '3.10', '3.11', '3.12']) {
    const version = installed.find((v) => v.startsWith(`${minor}.`));
    if (version !== undefined) found[minor] = path.join(pyenv, version, 'bin', 'python');
  }
  return found;
}
const PYTHONS = interpreters();

/**
 * A worker with the fork server and one without, sharing one environment cache, and the op's
 * local modules; `minor`'s environment is built (its installer output is not compared).
 */
async function workerPair(minor: string, pythons: Record<string, string> = {}) {
  const env = await pythonWorkerEnv(cleanup, tools);
  env.LZY_WORKER_PYTHONS = JSON.stringify({ [tools.minor]: tools.pythonPath, ...pythons });
  const forked = await startTestWorker(cleanup, env);
  const bash = await startTestWorker(cleanup, { ...env, LZY_WORKER_FORK_SERVER: 'false' });
  const op = { minor, localModules: await probeModules(cleanup, tools.pythonPath) };
  for (const w of [forked, bash]) {
    const warm = await runProbe(w, 't-warm-up', { ...op, mode: 'ppid' });
    expect(warm.rc, warm.stderr).toBe(0);
  }
  return { forked, bash, op };
}

/** The result with this worker's own mount directory and pids made comparable. */
function comparable(w: TestWorker, result: OpResult): OpResult {
  const strip = (text: string) => text.replaceAll(w.mountDir, '<mount>');
  return { ...result, stdout: strip(result.stdout), stderr: strip(result.stderr) };
}

describe('Python ops through the fork server', () => {
  it('imports the start-up imports once and forks every op from that interpreter', async () => {
    const { forked, bash, op } = await workerPair(tools.minor);
    const report = probeReport(await runProbe(forked, 't-first', { ...op, mode: 'report' }));
    const imports = await importCount(report.file);

    const parents: string[] = [];
    for (const taskId of ['t-a', 't-b', 't-c']) {
      const result = await runProbe(forked, taskId, { ...op, mode: 'ppid' });
      expect(result.rc, result.stderr).toBe(0);
      parents.push(result.stdout.trim());
    }
    // One parent, not the worker (bash execs python, whose parent is the worker itself).
    expect(new Set(parents).size).toBe(1);
    expect(parents[0]).not.toBe(String(process.pid));
    expect(await importCount(report.file)).toBe(imports);

    const fresh = await runProbe(bash, 't-bash', { ...op, mode: 'ppid' });
    expect(fresh.stdout.trim()).toBe(String(process.pid));
    expect(await importCount(report.file)).toBe(imports + 1);
  });

  it.each(Object.keys(PYTHONS))(
    'gives an op on Python %s what a fresh interpreter gives it',
    async (minor) => {
      const { forked, bash, op } = await workerPair(minor, PYTHONS);
      const [viaFork, viaBash] = await Promise.all([
        runProbe(forked, 't-report', { ...op, mode: 'report' }),
        runProbe(bash, 't-report', { ...op, mode: 'report' }),
      ]);
      expect(viaFork.rc, viaFork.stderr).toBe(0);
      const report = probeReport(comparable(forked, viaFork));
      expect(report).toEqual(probeReport(comparable(bash, viaBash)));
      expect(report.executable).toMatch(new RegExp(`/bin/python$`));
      expect(report.argv[0]).toMatch(/\/site-packages\/lzy\/api\/v1\/startup\.py$/);
      expect(report.pathAfterStep2.at(-1)).toBe(report.env.LOCAL_MODULES);
      expect([report.ownGroup, report.ownSession]).toEqual([true, true]);
      expect(report.modules).toContain('lzy.api.v1');
      expect(report.modules).not.toContain('common');
    },
  );

  it('ends each op as a fresh interpreter does: exit codes, tracebacks, threads, atexit', async () => {
    const { forked, bash, op } = await workerPair(tools.minor);
    const expected: Record<string, number> = {
      hello: 0,
      raise: 1,
      exit3: 3,
      'exit-message': 1,
      'os-exit4': 4,
      kill9: 137,
      interrupt: 130,
      thread: 0,
      atexit: 0,
    };
    for (const [mode, rc] of Object.entries(expected)) {
      const viaFork = comparable(forked, await runProbe(forked, `t-${mode}`, { ...op, mode }));
      const viaBash = comparable(bash, await runProbe(bash, `t-${mode}`, { ...op, mode }));
      expect(viaFork.rc, `${mode}: ${viaFork.stderr}`).toBe(rc);
      expect(viaFork, mode).toEqual(viaBash);
    }
    const raised = await runProbe(forked, 't-raise-2', { ...op, mode: 'raise' });
    expect(raised.stderr).toMatch(
      /^Traceback \(most recent call last\):\n {2}File ".*\/lzy\/api\/v1\/startup\.py", line \d+, in <module>\n/,
    );
    expect(raised.stderr).toMatch(/ValueError: boom from the op\n$/);
    const thread = await runProbe(forked, 't-thread-2', { ...op, mode: 'thread' });
    expect(thread.stdout).toBe('thread done\n');
  });

  it('streams stdout and stderr apart while the op runs', async () => {
    const { forked, op } = await workerPair(tools.minor);
    const desc = pythonTaskDesc(startupCommand('live'), pylzyYaml(op.minor, []), op);
    await initAndExecute(forked, { taskId: 't-live', desc });
    let stdout = '';
    let released = false;
    const events = await watchAll(forked, 't-live', (e) => {
      if (e.event?.$case === 'stderr') expect(released).toBe(true);
      if (e.event?.$case !== 'stdout' || released) return;
      stdout += e.event.value.data.toString('utf8');
      if (stdout !== 'first on stdout\n') return;
      // The op waits for this file: its first line arrived while it runs.
      released = true;
      void writeFile(path.join(forked.mountDir, 't-live', 'go'), '');
    });
    expect(released).toBe(true);
    expect(stdText(events, 'stdout')).toBe('first on stdout\n');
    expect(stdText(events, 'stderr')).toBe('then on stderr\n');
  });

  it('keeps ops apart: globals, builtins, LOCAL_MODULES imports, random state', async () => {
    const { forked, op } = await workerPair(tools.minor);
    expect((await runProbe(forked, 't-set', { ...op, mode: 'set-state' })).stdout).toBe('set\n');
    const read = await runProbe(forked, 't-read', { ...op, mode: 'read-state' });
    expect(JSON.parse(read.stdout)).toEqual([null, false, false]);
    // random was seeded when the server imported lzy.api.v1: each fork must draw its own.
    const draws = [];
    for (const taskId of ['t-r1', 't-r2', 't-r3'])
      draws.push((await runProbe(forked, taskId, { ...op, mode: 'random' })).stdout);
    expect(new Set(draws).size).toBe(3);
  });
});
