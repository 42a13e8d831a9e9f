import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import { unaryCall } from '@lzy/grpc';
import { allocator } from '@lzy/proto';
import { CleanupStack, pollUntil } from '@lzy/testing';
import { startLocalSuite } from '../src/local-suite.ts';
import type { LocalSuite } from '../src/local-suite.ts';
import type { SuiteInfra } from '../src/suite-env.ts';
import { isAlive, processTree, processesWith, vmProcessesWith } from './proc-table.ts';
import {
  StdReader,
  bearer,
  executeGraph,
  finishExecution,
  graphOutcome,
  graphStatus,
  internalClients,
  listVms,
  shellOp,
  startExecution,
  suiteUser,
  uniqueMarker,
} from './scenario-client.ts';
import type { Execution, InternalClients, SuiteUser } from './scenario-client.ts';
import { suiteInfra } from './suite-fixture.ts';
import {
  getWhiteboard,
  listWhiteboardIds,
  newWhiteboard,
  registerWhiteboard,
} from './whiteboard-calls.ts';

/**
 * What a client of the public API sees of the whole suite (one suite, in this process): std
 * streamed live, failures and stops, pool validation, VM reuse and teardown, auth and isolation
 * between users. Ops are shell commands; VMs are child processes of this process.
 */

const WORKER_MAIN = 'services/worker/src/main.ts';
const PORTAL_MAIN = 'services/portal/src/main.ts';
/** Most scenarios share one workflow (one after the other), so its worker VMs are reused. */
const WORKFLOW = 'scenarios';

const suiteCleanup = new CleanupStack();
let suite: LocalSuite;
let infra: SuiteInfra;
let alice: SuiteUser;
let bob: SuiteUser;
let internal: InternalClients;
let tmp: string;

beforeAll(async () => {
  infra = await suiteInfra(suiteCleanup);
  suite = suiteCleanup.push(await startLocalSuite({ infra, randomPorts: true }));
  alice = await suiteUser(suite, infra, 'alice', suiteCleanup);
  bob = await suiteUser(suite, infra, 'bob', suiteCleanup);
  internal = internalClients(suite, infra, suiteCleanup);
  tmp = await mkdtemp(path.join(tmpdir(), 'lzy-scenarios-'));
  suiteCleanup.defer(() => rm(tmp, { recursive: true, force: true }));
});

afterAll(async () => {
  await suiteCleanup.close();
});

/** Starts an execution that is aborted at the end of the test unless finished by then. */
async function started(
  cleanup: CleanupStack,
  workflowName = WORKFLOW,
  user = alice,
): Promise<Execution> {
  const execution = await startExecution(user, workflowName);
  cleanup.defer(async () => {
    const c = user.workflows;
    await unaryCall(
      c.abortWorkflow.bind(c),
      { workflowName, executionId: execution.executionId, reason: 'test over' },
      { metadata: user.metadata },
    ).catch(() => undefined); // finished already
  });
  return execution;
}

function workerVmsOf(vms: allocator.Vm[], sessionId: string): allocator.Vm[] {
  return vms.filter(
    (vm) =>
      vm.sessionId === sessionId && vm.clusterType === allocator.ClusterType.CLUSTER_TYPE_WORKER,
  );
}

/** The one session with a worker VM not in `before`. */
function newWorkerSession(before: allocator.Vm[], after: allocator.Vm[]): string {
  const known = new Set(before.map((vm) => vm.id));
  const sessions = new Set(
    after
      .filter((vm) => !known.has(vm.id))
      .filter((vm) => vm.clusterType === allocator.ClusterType.CLUSTER_TYPE_WORKER)
      .map((vm) => vm.sessionId),
  );
  expect(sessions.size).toBe(1);
  return [...sessions][0]!;
}

describe('the local suite, as a client of the public API sees it', () => {
  describe('in one execution of alice', () => {
    const executionCleanup = new CleanupStack();
    let execution: Execution;
    /** alice's ReadStdSlots of the execution, open from the start. */
    let std: StdReader;

    beforeAll(async () => {
      execution = await started(executionCleanup);
      std = new StdReader(execution);
    });

    afterAll(async () => {
      await executionCleanup.close();
    });

    it('streams an op stdout line to ReadStdSlots while the op is still running', async () => {
      const marker = uniqueMarker('before-wait');
      const go = path.join(tmp, `go-${marker}`);
      const graphId = await executeGraph(execution, [
        shellOp(
          'wait-for-go',
          `echo ${marker}; while [ ! -e '${go}' ]; do sleep 0.05; done; echo after-go`,
        ),
      ]);

      await std.stdoutContains(marker);
      // The op is blocked until the file exists: the line came while it was running.
      expect((await graphStatus(execution, graphId)).status?.$case).toBe('executing');
      await writeFile(go, '');
      expect(await graphOutcome(execution, graphId)).toBe('completed');
      await std.stdoutContains('after-go');
    });

    it('fails the graph of a failing op with its exit code and stderr', async () => {
      const graphId = await executeGraph(execution, [shellOp('fail', 'echo oops >&2; exit 7')]);

      const outcome = await graphOutcome(execution, graphId);
      expect(outcome).toMatch(/^failed: /);
      expect(outcome.match(/\b7\b/g)).toHaveLength(1); // the exit code, once
      expect(outcome).toContain('oops');
    });

    it('kills the running op process when the graph is stopped', async () => {
      const marker = uniqueMarker('stop-me');
      const graphId = await executeGraph(execution, [
        shellOp('sleep', `echo ${marker}; sleep 600 & wait`),
      ]);
      // bash (its command line holds the marker) and its `sleep` child.
      const tree = await pollUntil(
        async () => {
          const [shell] = await processesWith(marker);
          if (shell === undefined) return undefined;
          const found = await processTree(shell.pid);
          return found.some((p) => p.cmdline === 'sleep 600') ? found : undefined;
        },
        { timeoutMs: 60_000, description: `the op's processes (${marker})` },
      );

      const c = alice.workflows;
      await unaryCall(
        c.stopGraph.bind(c),
        { workflowName: WORKFLOW, executionId: execution.executionId, graphId },
        { metadata: alice.metadata },
      );

      expect(await graphOutcome(execution, graphId)).toMatch(/^failed: /);
      await pollUntil(
        async () => {
          const alive = await Promise.all(tree.map((p) => isAlive(p.pid)));
          return alive.includes(true) ? undefined : true;
        },
        { timeoutMs: 30_000, description: 'every process of the stopped op gone' },
      );
    });

    it('rejects a graph asking for an unknown pool with INVALID_ARGUMENT naming it', async () => {
      const rejected = await executeGraph(execution, [
        shellOp('big', 'true', { poolSpecName: 'xl' }),
      ]).catch((err: unknown) => err);

      expect(rejected).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((rejected as Error).message).toContain("'xl'");
    });

    it("keeps one user's graphs, std streams and whiteboards from another", async () => {
      const graphId = await executeGraph(execution, [shellOp('hello', 'echo alice-was-here')]);
      expect(await graphOutcome(execution, graphId)).toBe('completed');
      await std.stdoutContains('alice-was-here');

      await expect(graphStatus(execution, graphId, bob)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      const bobStd = new StdReader(execution, bob);
      expect(await bobStd.ended).toMatchObject({ code: 'NOT_FOUND' });
      expect(bobStd.stdout).toBe('');

      const whiteboard = newWhiteboard('alice-board', execution.storageUri);
      await registerWhiteboard(alice, whiteboard);
      expect((await getWhiteboard(alice, whiteboard.id))?.name).toBe('alice-board');
      expect(await listWhiteboardIds(alice)).toContain(whiteboard.id);

      await expect(getWhiteboard(bob, whiteboard.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await listWhiteboardIds(bob)).not.toContain(whiteboard.id);
    });
  });

  it('runs the second graph of an execution on the idle VM of the first', async () => {
    await using cleanup = new CleanupStack();
    const vmsBefore = await listVms(internal);
    const execution = await started(cleanup, 'reuse');
    const first = await executeGraph(execution, [shellOp('first', 'echo first')]);
    expect(await graphOutcome(execution, first)).toBe('completed');
    const sessionId = newWorkerSession(vmsBefore, await listVms(internal));
    const vmsAfterFirst = workerVmsOf(await listVms(internal), sessionId);
    const workersAfterFirst = await vmProcessesWith(process.pid, WORKER_MAIN);

    const second = await executeGraph(execution, [shellOp('second', 'echo second')]);
    expect(await graphOutcome(execution, second)).toBe('completed');

    const vmsAfterSecond = workerVmsOf(await listVms(internal), sessionId);
    expect(vmsAfterSecond.map((vm) => vm.id)).toEqual(vmsAfterFirst.map((vm) => vm.id));
    expect(vmsAfterSecond).toHaveLength(1);
    const workersAfterSecond = await vmProcessesWith(process.pid, WORKER_MAIN);
    expect(workersAfterSecond.map((p) => p.pid).sort()).toEqual(
      workersAfterFirst.map((p) => p.pid).sort(),
    );
  });

  it('frees every VM, channel and the portal when the workflow finishes', async () => {
    await using cleanup = new CleanupStack();
    const vmsBefore = await listVms(internal);
    const execution = await started(cleanup, 'finish-frees');
    const { executionId } = execution;
    const std = new StdReader(execution);
    const graphId = await executeGraph(execution, [
      shellOp('produce', 'echo produced; printf 1 > "$LZY_MOUNT/f1/out"', {
        outputSlots: [{ path: '/f1/out', storageUri: `${execution.storageUri}/data/f1` }],
      }),
    ]);
    expect(await graphOutcome(execution, graphId)).toBe('completed');
    const vms = await listVms(internal);
    const workerSession = newWorkerSession(vmsBefore, vms);
    const portalVms = vms.filter(
      (vm) =>
        !vmsBefore.some((old) => old.id === vm.id) &&
        vm.clusterType === allocator.ClusterType.CLUSTER_TYPE_SYSTEM,
    );
    expect(portalVms).toHaveLength(1);
    const portalVm = portalVms[0]!;
    const portals = await vmProcessesWith(process.pid, PORTAL_MAIN);
    const portalPids = portals.filter((p) => p.vmId === portalVm.id).map((p) => p.pid);
    expect(portalPids).toHaveLength(1);
    const channels = internal.channels;
    const listChannels = () =>
      unaryCall(channels.listChannels.bind(channels), { executionId }).then((r) => r.channels);
    expect(await listChannels()).not.toHaveLength(0);

    const finished = await finishExecution(execution);

    expect(finished.result?.$case).toBe('response');
    expect(await std.ended).toBeUndefined();
    expect(std.stdout).toContain('produced');
    expect(await listChannels()).toEqual([]);
    const { VM_STATUS_RUNNING: RUNNING, VM_STATUS_DEAD: DEAD } = allocator.VmStatus;
    await pollUntil(
      async () => {
        const now = await listVms(internal);
        const running = workerVmsOf(now, workerSession).filter((vm) => vm.status === RUNNING);
        const portal = now.find((vm) => vm.id === portalVm.id);
        const portalGone = portal === undefined || portal.status === DEAD;
        const portalAlive = await isAlive(portalPids[0]!);
        if (running.length === 0 && portalGone && !portalAlive) return true;
        throw new Error(
          `running worker VMs ${running.length}, portal VM ${portal?.status ?? 'gone'}, portal process alive ${portalAlive}`,
        );
      },
      { timeoutMs: 30_000, description: 'no RUNNING worker VM, the portal VM and process gone' },
    );
  });

  it('authenticates every call: no token, an unknown key, an expired token', async () => {
    const c = alice.workflows;
    const pools = (metadata: ReturnType<typeof bearer> | undefined) =>
      unaryCall(c.getAvailablePools.bind(c), { executionId: 'no-such-execution' }, { metadata });
    const w = alice.whiteboards;
    const list = (metadata: ReturnType<typeof bearer> | undefined) =>
      unaryCall(w.list.bind(w), { name: '', tags: [], createdTimeBounds: undefined }, { metadata });
    const strangerKeys = await generateRsaKeyPair();
    const unknownKey = bearer(
      signLzyJwt({
        issuer: 'alice',
        provider: 'GITHUB',
        privateKeyPem: strangerKeys.privateKeyPem,
        nowMs: Date.now(),
      }),
    );
    const dayMs = 86_400_000;
    const expired = bearer(alice.tokenAt(Date.now() - 2 * dayMs, 3_600_000));

    // A valid token passes authentication: the unknown execution is what fails.
    await expect(pools(alice.metadata)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(list(alice.metadata)).resolves.toBeDefined();
    for (const call of [pools, list]) {
      await expect(call(undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      await expect(call(unknownKey)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      await expect(call(expired)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    }
  });
});
