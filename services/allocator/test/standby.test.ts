// Standby VM processes of the local backend (LZY_ALLOCATOR_LOCAL_STANDBY_VMS): started ahead of
// need without any identity, handed one VM's over their stdin at Allocate, killed at stop, and a
// VM that was one is adopted (or killed) by a restarted allocator like any other.
import { mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CleanupStack, checkHealth, pollUntil, usePostgres } from '@lzy/testing';
import type { VmLaunch } from '../src/domain/ports.ts';
import { LocalProcessBackend } from '../src/local/local-process-backend.ts';
import {
  FAKE_VM,
  allocate,
  allocateRequest,
  allocateRunning,
  createSession,
  isAlive,
  log,
  startTestAllocator,
  vmStatus,
  waitDone,
  workerWorkload,
} from './harness.ts';

const STANDBY_ENTRY = fileURLToPath(new URL('../src/local/vm-standby-main.ts', import.meta.url));
const GATED_VM = fileURLToPath(new URL('./fixtures/gated-vm/main.ts', import.meta.url));
const STDIN_VM = fileURLToPath(new URL('./fixtures/stdin-vm/main.ts', import.meta.url));
const VM_VARIABLES = [
  'LZY_VM_ID',
  'LZY_VM_OTT',
  'LZY_VM_PRIVATE_KEY',
  'LZY_VM_OWNER_USER_ID',
  'LZY_ALLOCATOR_ADDRESS',
];

const pg = usePostgres();
const stack = new CleanupStack();
afterEach(() => stack.close());

async function argvOf(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
}

async function environOf(pid: number): Promise<Record<string, string>> {
  const entries = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
  return Object.fromEntries(
    entries
      .filter((e) => e.includes('='))
      .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
}

/** Live standby processes this test process started (as the allocator, or its backend). */
async function standbyPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || Number(ppid) !== process.pid) continue;
      if ((await argvOf(Number(name)))[1] === STANDBY_ENTRY) pids.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return pids;
}

const gone = (pid: number) =>
  pollUntil(() => (isAlive(pid) ? undefined : true), {
    timeoutMs: 15_000,
    description: `process ${pid} exits`,
  });

function waitStandbys(count: number, except: readonly number[] = []): Promise<number[]> {
  return pollUntil(
    async () => {
      const pids = (await standbyPids()).filter((pid) => !except.includes(pid));
      return pids.length === count ? pids : undefined;
    },
    { timeoutMs: 20_000, description: `${count} standby process(es)` },
  );
}

describe('standby VM processes of the allocator', () => {
  it('hands an Allocate a standby that holds no identity before; it registers and serves', async () => {
    const t = stack.push(
      await startTestAllocator(pg.url, {
        LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '1',
        LZY_ALLOCATOR_LOCAL_STANDBY_REFILL_DELAY_MS: '0',
      }),
    );
    // Worker and portal pools share the fake VM's main here: one standby for both.
    const [standby] = await waitStandbys(1);
    expect(await argvOf(standby!)).toEqual([process.execPath, STANDBY_ENTRY, FAKE_VM]);
    const before = await environOf(standby!);
    for (const name of VM_VARIABLES) expect(before).not.toHaveProperty(name);

    const sessionId = await createSession(t);
    const vm = await allocateRunning(t, allocateRequest(sessionId));
    expect(vm.pid).toBe(standby);
    expect(await vmStatus(t, vm.vmId)).toBe('VM_STATUS_RUNNING');
    expect(await checkHealth(vm.endpoints[0]?.value ?? '')).toBe('SERVING');
    // Its token and key went over its stdin: /proc still shows only what it started with.
    const after = await environOf(standby!);
    for (const name of VM_VARIABLES) expect(after).not.toHaveProperty(name);
    await waitStandbys(1, [standby!]);
  });

  it('takes its hand-over after loading modules that opened stdin', async () => {
    const loadedDir = await mkdtemp(join(tmpdir(), 'lzy-standby-loaded-'));
    stack.defer(() => rm(loadedDir, { recursive: true, force: true }));
    const t = stack.push(
      await startTestAllocator(pg.url, {
        LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '1',
        LZY_ALLOCATOR_LOCAL_WORKER_MAIN: STDIN_VM,
        LZY_ALLOCATOR_LOCAL_PORTAL_MAIN: STDIN_VM,
        FAKE_VM_LOADED_DIR: loadedDir,
      }),
    );
    const [standby] = await waitStandbys(1);
    // Loaded and waiting: the hand-over comes after, into a pipe its modules made non-blocking.
    await pollUntil(
      async () => ((await readdir(loadedDir)).includes(String(standby)) ? true : undefined),
      {
        timeoutMs: 20_000,
        description: 'the standby loaded its modules',
      },
    );
    const vm = await allocateRunning(t, allocateRequest(await createSession(t)));
    expect(vm.pid).toBe(standby);
  });

  it("starts the worker's standby once the portal's loaded", async () => {
    const gateDir = await mkdtemp(join(tmpdir(), 'lzy-standby-gate-'));
    stack.defer(() => rm(gateDir, { recursive: true, force: true }));
    stack.push(
      await startTestAllocator(pg.url, {
        LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '1',
        LZY_ALLOCATOR_LOCAL_PORTAL_MAIN: GATED_VM,
        FAKE_VM_GATE_DIR: gateDir,
      }),
    );
    const [portal] = await waitStandbys(1);
    expect((await argvOf(portal!))[2]).toBe(GATED_VM);
    await pollUntil(
      async () => ((await readdir(gateDir)).includes(`waiting-${portal}`) ? true : undefined),
      { timeoutMs: 20_000, description: "the portal's standby is loading" },
    );
    // Both would have been started together: the worker's would be there by now.
    expect(await standbyPids()).toEqual([portal]);
    await writeFile(join(gateDir, 'open'), '');
    const [worker] = await waitStandbys(1, [portal!]);
    expect((await argvOf(worker!))[2]).toBe(FAKE_VM);
  });

  it('gives the VM its workload environment and the allocator its failures', async () => {
    const t = stack.push(
      await startTestAllocator(pg.url, { LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '1' }),
    );
    const [standby] = await waitStandbys(1);
    const sessionId = await createSession(t);
    const op = await allocate(
      t,
      allocateRequest(sessionId, { workloads: [workerWorkload({ FAKE_VM_EXIT_CODE: '3' })] }),
    );
    const failed = await waitDone(t, op.id);
    expect(failed.result?.$case).toBe('error');
    const message = failed.result?.$case === 'error' ? failed.result.value.message : '';
    expect(message).toMatch(/process exited with code 3/);
    expect(message).toMatch(/no space left on device/);
    await gone(standby!);
  });

  it('kills the standby processes when the allocator stops', async () => {
    const t = await startTestAllocator(pg.url, { LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '2' });
    const pids = await waitStandbys(2);
    await t.stop();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(await standbyPids()).toEqual([]);
  });

  it('starts no standby with LZY_ALLOCATOR_LOCAL_STANDBY_VMS=0: a VM is a process of its own', async () => {
    const t = stack.push(
      await startTestAllocator(pg.url, { LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '0' }),
    );
    const sessionId = await createSession(t);
    const vm = await allocateRunning(t, allocateRequest(sessionId));
    expect(await argvOf(vm.pid)).toEqual([process.execPath, FAKE_VM]);
    expect((await environOf(vm.pid)).LZY_VM_ID).toBe(vm.vmId);
    expect(await standbyPids()).toEqual([]);
  });
});

/**
 * A launch of a fake VM that serves health and never registers (no allocator here); it writes
 * its environment into `envDir` once it runs as the VM.
 */
function launchOf(id: string, envDir: string): VmLaunch {
  return {
    id,
    clusterType: 'WORKER',
    sessionId: 'session-1',
    sessionOwner: 'alice/wf',
    ownerUserId: 'alice',
    pool: {
      label: 's',
      clusterType: 'WORKER',
      cpuType: 'x',
      cpuCount: 1,
      gpuType: 'NO_GPU',
      gpuCount: 0,
      ramGb: 1,
      zones: ['local'],
      maxVms: 0,
    },
    zone: 'local',
    spec: { initWorkloads: [], workloads: [], volumes: [] },
    env: {
      LZY_VM_ID: id,
      LZY_ALLOCATOR_ADDRESS: '127.0.0.1:1',
      FAKE_VM_SKIP_REGISTER: '1',
      FAKE_VM_ENV_DIR: envDir,
    },
    secretEnv: { LZY_VM_OTT: 'ott', LZY_VM_PRIVATE_KEY: 'key' },
  };
}

describe('a VM that was a standby, after a restart of the allocator', () => {
  async function backend(logDir: string | undefined, scratchBase: string) {
    const b = new LocalProcessBackend({
      log,
      killGraceMs: 2_000,
      logDir,
      inheritedEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: scratchBase },
      mains: { worker: FAKE_VM, portal: FAKE_VM },
      standby: { entry: STANDBY_ENTRY, mains: [FAKE_VM], perMain: 1, refillDelayMs: 0 },
      adoptedCheckMs: 50,
    });
    stack.defer(() => b.stop());
    await b.recover([]);
    return b;
  }

  async function dirs(): Promise<{ logDir: string; scratchBase: string; envDir: string }> {
    const root = await mkdtemp(join(tmpdir(), 'lzy-standby-adopt-'));
    stack.defer(() => rm(root, { recursive: true, force: true }));
    return { logDir: join(root, 'logs'), scratchBase: root, envDir: root };
  }

  /** Once the standby runs as VM `vmId` (it read its hand-over): what it was given. */
  function runsAsVm(envDir: string, vmId: string): Promise<Record<string, string>> {
    return pollUntil(
      () =>
        readFile(join(envDir, `${vmId}.json`), 'utf8').then(
          (text) => JSON.parse(text) as Record<string, string>,
          () => undefined,
        ),
      { timeoutMs: 20_000, description: `the standby runs as ${vmId}` },
    );
  }

  it('is adopted when its output goes to its log file, then killed by the new allocator', async () => {
    const { logDir, scratchBase, envDir } = await dirs();
    const first = await backend(logDir, scratchBase);
    const [standby] = await waitStandbys(1);
    const { pid } = await first.start(launchOf('vm-s-adopt', envDir));
    expect(pid).toBe(standby);
    const env = await runsAsVm(envDir, 'vm-s-adopt');
    expect(env).toMatchObject({ LZY_VM_OTT: 'ott', FAKE_VM_SKIP_REGISTER: '1' });
    expect(env.TMPDIR).toBe(join(scratchBase, 'lzy-vm-vm-s-adopt'));
    expect(await readlink(`/proc/${pid}/fd/1`)).toBe(join(logDir, 'vm-s-adopt.log'));

    // The first allocator "crashed": it never stops its VM; a second one looks for it.
    const second = await backend(logDir, scratchBase);
    expect(await second.recover([{ id: 'vm-s-adopt', clusterType: 'WORKER' }])).toEqual([]);
    expect(second.running()).toContain('vm-s-adopt');
    await second.kill({ id: 'vm-s-adopt', clusterType: 'WORKER' });
    await gone(pid!);
  });

  it('is killed and reported lost when its output went into a pipe', async () => {
    const { scratchBase, envDir } = await dirs();
    const first = await backend(undefined, scratchBase);
    const [standby] = await waitStandbys(1);
    const { pid } = await first.start(launchOf('vm-s-piped', envDir));
    expect(pid).toBe(standby);
    await runsAsVm(envDir, 'vm-s-piped');

    const second = await backend(undefined, scratchBase);
    expect(await second.recover([{ id: 'vm-s-piped', clusterType: 'WORKER' }])).toEqual([
      'vm-s-piped',
    ]);
    await gone(pid!);
  });
});

describe("VM processes' compile cache", () => {
  it('gives VM processes NODE_COMPILE_CACHE, and nothing with an empty directory name', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'lzy-compile-cache-'));
    stack.defer(() => rm(cacheDir, { recursive: true, force: true }));
    const direct = { LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '0' };
    const t = stack.push(
      await startTestAllocator(pg.url, {
        ...direct,
        LZY_ALLOCATOR_LOCAL_COMPILE_CACHE_DIR: cacheDir,
      }),
    );
    const vm = await allocateRunning(t, allocateRequest(await createSession(t)));
    expect((await environOf(vm.pid)).NODE_COMPILE_CACHE).toBe(cacheDir);

    const off = stack.push(
      await startTestAllocator(pg.url, { ...direct, LZY_ALLOCATOR_LOCAL_COMPILE_CACHE_DIR: '' }),
    );
    const plain = await allocateRunning(off, allocateRequest(await createSession(off)));
    expect(await environOf(plain.pid)).not.toHaveProperty('NODE_COMPILE_CACHE');
  });
});
