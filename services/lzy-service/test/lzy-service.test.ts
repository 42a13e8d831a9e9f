import { createHmac, randomUUID } from 'node:crypto';
import {
  Aborted,
  InvalidArgument,
  NotFound,
  PermissionDenied,
  Unauthenticated,
  Unavailable,
} from '@lzy/errors';
import { closeDatabase, createDatabase } from '@lzy/db';
import { sql } from 'kysely';
import { serverStream, unaryCall } from '@lzy/grpc';
import { graphExecutor, lzyWorkflowService, portal, unpackAny } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLzyService } from '../src/index.ts';
import type { RunningLzyService } from '../src/index.ts';
import { uriDigest } from '../src/domain/graph-plan.ts';
import { ClusterDouble } from './doubles/cluster-double.ts';
import {
  graphOf,
  lzyServiceTemplate,
  operation,
  publicClients,
  silentLog,
  testServiceConfig,
} from './fixtures.ts';

const pg = usePostgres({ template: lzyServiceTemplate });
const cluster = new ClusterDouble();
let service: RunningLzyService;
let alice: ReturnType<typeof publicClients>;
let bob: ReturnType<typeof publicClients>;
/** The service's clock runs this far ahead of the system clock (tests move it forward). */
let clockSkewMs = 0;

beforeAll(async () => {
  await cluster.start(silentLog);
  const config = testServiceConfig(pg.url, cluster.address, { LZY_PORTAL_UNREACHABLE_MS: '1500' });
  service = await startLzyService(config, {
    log: silentLog,
    clock: { now: () => Date.now() + clockSkewMs },
  });
  expect(await service.ready).toBe(true);
  alice = publicClients(`127.0.0.1:${service.port}`, 'alice.test.token');
  bob = publicClients(`127.0.0.1:${service.port}`, 'bob.test.token');
});

afterAll(async () => {
  alice?.close();
  bob?.close();
  await service?.stop();
  await cluster.stop();
});

function executeGraph(executionId: string, graph: ReturnType<typeof graphOf>) {
  const c = alice.workflow;
  return unaryCall(c.executeGraph.bind(c), { workflowName: 'wf', executionId, graph });
}

async function statusBytes(executionId: string, graphId: string): Promise<string> {
  const c = alice.workflow;
  const status = await unaryCall(c.graphStatus.bind(c), { executionId, graphId });
  return Buffer.from(lzyWorkflowService.GraphStatusResponse.encode(status).finish()).toString(
    'hex',
  );
}

describe('StartWorkflow', () => {
  it('returns an execution with the internal storage and a portal VM', async () => {
    const workflowName = `wf-${randomUUID()}`;
    const started = await alice.start(workflowName);
    expect(started.internalSnapshotStorage?.uri).toBe('s3://tmp-bucket-alice');
    expect(started.internalSnapshotStorage?.credentials?.$case).toBe('s3');
    const allocation = cluster.allocations.find(
      (a) => a.workloads[0]?.env.LZY_EXECUTION_ID === started.executionId,
    );
    expect(allocation?.poolLabel).toBe('portals');
    expect(allocation?.workloads[0]?.name).toBe('portal');
    expect(cluster.bindings.some((b) => b.resource?.id === `alice/${workflowName}`)).toBe(true);
  });

  it('aborts the previous active execution of the same workflow', async () => {
    const workflowName = `wf-${randomUUID()}`;
    const first = await alice.start(workflowName);
    const second = await alice.start(workflowName);
    const c = alice.workflow;
    await expect(
      unaryCall(c.getAvailablePools.bind(c), { executionId: first.executionId }),
    ).rejects.toThrow(NotFound);
    // The old execution's teardown is a durable operation of its own.
    await expect.poll(() => cluster.destroyedExecutions).toContain(first.executionId);
    expect(cluster.portalOf(first.executionId).stopped).toBe(true);
    const pools = await unaryCall(c.getAvailablePools.bind(c), { executionId: second.executionId });
    expect(pools.poolSpecs.map((p) => p.poolSpecName)).toEqual(['s']);
  });

  it('replaces a portal VM that died while starting', async () => {
    cluster.failPortalVms = 1;
    const started = await alice.start(`wf-${randomUUID()}`);
    const tries = cluster.allocations.filter(
      (a) => a.workloads[0]?.env.LZY_EXECUTION_ID === started.executionId,
    );
    expect(tries).toHaveLength(2);
    expect(cluster.portalOf(started.executionId).stopped).toBe(false);
  });

  it("answers UNAVAILABLE with the VM's last output when no portal VM starts, never INTERNAL", async () => {
    cluster.failPortalVms = 2;
    const start = alice.start(`wf-${randomUUID()}`);
    await expect(start).rejects.toThrow(Unavailable);
    await expect(start).rejects.toThrow(/portal: out of memory/);
  });

  it('refuses an empty or malformed workflow name, which could never be finished', async () => {
    await expect(alice.start('')).rejects.toThrow(/workflowName is empty/);
    await expect(alice.start('x'.repeat(3000))).rejects.toThrow(/over the 256 allowed/);
    await expect(alice.start('bad\u0000name')).rejects.toThrow(InvalidArgument);
  });

  it('refuses a user S3 endpoint that reaches a private, loopback or metadata address', async () => {
    const c = alice.workflow;
    const start = (endpoint: string) =>
      unaryCall(c.startWorkflow.bind(c), {
        workflowName: `wf-${randomUUID()}`,
        snapshotStorage: {
          uri: 's3://mine/p',
          credentials: { $case: 's3', value: { endpoint, accessToken: 'AK', secretToken: 'SK' } },
        },
      });
    for (const endpoint of ['http://169.254.169.254', 'http://127.0.0.1:8899', 'http://[::1]']) {
      await expect(start(endpoint)).rejects.toThrow(PermissionDenied);
    }
    await expect(start('http://127.0.0.1:9000')).resolves.toMatchObject({
      internalSnapshotStorage: { uri: '' },
    });
  });

  it("accepts its own internal storage sent back as the user's (pylzy's second workflow)", async () => {
    const first = await alice.start(`wf-${randomUUID()}`);
    const c = alice.workflow;
    const second = await unaryCall(c.startWorkflow.bind(c), {
      workflowName: `wf-${randomUUID()}`,
      snapshotStorage: first.internalSnapshotStorage,
    });
    const graph = graphOf([operation('a', [], [`s3://tmp-bucket-alice/${randomUUID()}`])]);
    await expect(executeGraph(second.executionId, graph)).resolves.toMatchObject({
      graphId: expect.any(String) as unknown,
    });
  });

  it('keeps the S3 secret of an execution sealed in its database', async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const db = createDatabase({ url: pg.url });
    try {
      const { rows } = await sql<{ config: Record<string, unknown> }>`
        SELECT storage_config AS config FROM execution WHERE execution_id = ${executionId}`.execute(
        db,
      );
      expect(Object.keys(rows[0]?.config ?? {}).sort()).toEqual(['sealed', 'uri']);
      expect(JSON.stringify(rows[0]?.config)).not.toContain('secretToken');
    } finally {
      await closeDatabase(db);
    }
  });

  it('rejects user storage without credentials', async () => {
    const c = alice.workflow;
    await expect(
      unaryCall(c.startWorkflow.bind(c), {
        workflowName: 'wf',
        snapshotStorage: { uri: 's3://mine', credentials: undefined },
      }),
    ).rejects.toThrow('Credentials are not set');
  });
});

describe('GetStorageCredentials', () => {
  it('creates the storage of a user who never ran a workflow, the same one StartWorkflow gives', async () => {
    const c = bob.workflow;
    expect(cluster.buckets.has('tmp-bucket-bob')).toBe(false);
    const answers = await Promise.all(
      [1, 2, 3].map(() => unaryCall(c.getStorageCredentials.bind(c), {})),
    );
    expect(answers.map((a) => a.storage?.uri)).toEqual(Array(3).fill('s3://tmp-bucket-bob'));
    expect(answers[0]?.storage?.credentials?.$case).toBe('s3');
    expect(cluster.buckets.has('tmp-bucket-bob')).toBe(true);
    const started = await bob.start(`wf-${randomUUID()}`);
    expect(started.internalSnapshotStorage).toEqual(answers[0]?.storage);
    expect(await unaryCall(c.getStorageCredentials.bind(c), {})).toEqual(answers[0]);
  });
});

describe('ExecuteGraph and GraphStatus', () => {
  it('rejects a pool that does not exist, naming it', async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const graph = graphOf([
      operation('a', [], [`s3://tmp-bucket-alice/${randomUUID()}`], 'gigantic'),
    ]);
    const call = executeGraph(executionId, graph);
    await expect(call).rejects.toThrow(InvalidArgument);
    await expect(call).rejects.toThrow(/gigantic/);
  });

  it("refuses a URI in another user's bucket, naming it, and claims none of the graph's outputs", async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const out = `s3://tmp-bucket-alice/${randomUUID()}`;
    const stolen = 's3://tmp-bucket-bob/lzy_runs/wf/e/data/f.return_0.c';
    const bad = executeGraph(executionId, graphOf([operation('a', [stolen], [out])]));
    await expect(bad).rejects.toThrow(PermissionDenied);
    await expect(bad).rejects.toThrow(stolen);
    const planted = executeGraph(executionId, graphOf([operation('b', [], [stolen])]));
    await expect(planted).rejects.toThrow(PermissionDenied);
    // The refused graph claimed nothing: its output URI is still free.
    await expect(executeGraph(executionId, graphOf([operation('a', [], [out])]))).resolves.toEqual({
      graphId: expect.any(String) as unknown,
    });
  });

  it('refuses a slot path that leaves the mount and an invalid graph before claiming outputs', async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const out = `s3://tmp-bucket-alice/${randomUUID()}`;
    const escaping = operation('a', [], [out]);
    escaping.outputSlots[0]!.path = '/a/../../../etc/cron.d/x';
    await expect(executeGraph(executionId, graphOf([escaping]))).rejects.toThrow(/path/);
    const unknownPool = operation('a', [], [out], 'gigantic');
    await expect(executeGraph(executionId, graphOf([unknownPool]))).rejects.toThrow(/gigantic/);
    await expect(
      executeGraph(executionId, graphOf([operation('a', [], [out])])),
    ).resolves.toBeDefined();
  });

  it('returns the same graph id for a repeated identical request', async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const graph = graphOf([
      operation(
        'a',
        [`s3://tmp-bucket-alice/in-${randomUUID()}`],
        [`s3://tmp-bucket-alice/${randomUUID()}`],
      ),
    ]);
    const first = await executeGraph(executionId, graph);
    const second = await executeGraph(executionId, graph);
    expect(second.graphId).toBe(first.graphId);
    expect(cluster.executedGraphs.filter((g) => g.graphId === first.graphId)).toHaveLength(1);
  });

  it("re-signs pylzy's SigV2 local-module URLs as SigV4, the same way when a submission is replayed", async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const resource = '/tmp-bucket-alice/lzy_local_modules/m/0a1b';
    const signature = createHmac('sha1', 'secret')
      .update(`GET\n\n\n${expires}\n${resource}`)
      .digest('base64');
    const sigV2 = `http://127.0.0.1:9000${resource}?AWSAccessKeyId=key&Signature=${encodeURIComponent(signature)}&Expires=${expires}`;
    const op = operation('a', [], [`s3://tmp-bucket-alice/${randomUUID()}`]);
    op.env = { $case: 'python', value: { yaml: '', localModules: [{ name: 'm', url: sigV2 }] } };
    cluster.loseExecuteGraphAnswers = 1;
    await expect(executeGraph(executionId, graphOf([op]))).rejects.toThrow(Aborted);
    clockSkewMs += 5_000; // the replay comes later: its URLs must not be signed anew
    const { graphId } = await executeGraph(executionId, graphOf([op]));
    const submitted = cluster.executedGraphs.filter((g) => g.graphId === graphId);
    expect(submitted).toHaveLength(2);
    const bytes = submitted.map((g) =>
      Buffer.from(graphExecutor.ExecuteGraphRequest.encode(g).finish()).toString('hex'),
    );
    expect(bytes[1]).toBe(bytes[0]);
    const env = submitted[0]?.tasks[0]?.taskDesc?.operation?.env?.auxEnv?.env;
    const url = env?.$case === 'pyenv' ? env.value.localModules[0]?.uri : undefined;
    expect(url).toMatch(
      /^http:\/\/127\.0\.0\.1:9000\/tmp-bucket-alice\/lzy_local_modules\/m\/0a1b\?X-Amz-Algorithm=AWS4-HMAC-SHA256&/,
    );
  });

  it('is executing until graph-executor completed and every output is synced, then completed', async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const out = `s3://tmp-bucket-alice/${randomUUID()}`;
    const { graphId } = await executeGraph(executionId, graphOf([operation('a', [], [out])]));
    const portalDouble = cluster.portalOf(executionId);
    const slotName = `snapshot-${uriDigest(out)}`;
    expect(portalDouble.openedSlots.map((s) => s.slot?.name)).toContain(slotName);
    const submitted = cluster.executedGraphs.find((g) => g.graphId === graphId);
    expect(submitted?.portalAddress).toBe(portalDouble.address);
    expect(submitted?.tasks[0]?.taskDesc?.slotAssignments[0]?.channelId).toBe(
      `${executionId}/${uriDigest(out)}`,
    );

    expect(await statusBytes(executionId, graphId)).toBe('0a00'); // waiting
    const { GRAPH_STATE_EXECUTING, GRAPH_STATE_COMPLETED } = graphExecutor.GraphState;
    cluster.reportGraph(executionId, graphId, GRAPH_STATE_EXECUTING);
    cluster.reportGraph(executionId, graphId, GRAPH_STATE_COMPLETED);
    await expect.poll(() => statusBytes(executionId, graphId)).toMatch(/^12/); // executing, syncing
    portalDouble.report(slotName, portal.SnapshotStatus.SNAPSHOT_STATUS_SYNCED);
    await expect.poll(() => statusBytes(executionId, graphId)).toBe('1a00');
  });

  it('reports a failed graph with its description', async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const { graphId } = await executeGraph(
      executionId,
      graphOf([operation('a', [], [`s3://tmp-bucket-alice/${randomUUID()}`])]),
    );
    cluster.reportGraph(
      executionId,
      graphId,
      graphExecutor.GraphState.GRAPH_STATE_FAILED,
      'rc=1: boom',
    );
    const c = alice.workflow;
    await expect
      .poll(async () => (await unaryCall(c.graphStatus.bind(c), { executionId, graphId })).status)
      .toEqual({ $case: 'failed', value: { description: 'rc=1: boom' } });
  });

  it('fails a running graph whose portal VM died, saying so, and stops its tasks', async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const { graphId } = await executeGraph(
      executionId,
      graphOf([operation('a', [], [`s3://tmp-bucket-alice/${randomUUID()}`])]),
    );
    cluster.reportGraph(executionId, graphId, graphExecutor.GraphState.GRAPH_STATE_EXECUTING);
    await cluster.killPortal(executionId, 'process exited with signal SIGKILL');
    const c = alice.workflow;
    await expect
      .poll(async () => (await unaryCall(c.graphStatus.bind(c), { executionId, graphId })).status)
      .toMatchObject({ $case: 'failed' });
    const { status } = await unaryCall(c.graphStatus.bind(c), { executionId, graphId });
    expect(status?.$case === 'failed' && status.value.description).toMatch(
      /^The portal of this execution \(VM vm-\d+\) died: process exited with signal SIGKILL\. .*run the workflow again/,
    );
    expect(cluster.stoppedGraphs).toContain(graphId);
  });
});

describe('FinishWorkflow and ReadStdSlots', () => {
  it('returns a not-done operation that completes with FinishWorkflowResponse; a repeat returns it again', async () => {
    const workflowName = `wf-${randomUUID()}`;
    const { executionId } = await alice.start(workflowName);
    const c = alice.workflow;
    const request = { workflowName, executionId, reason: 'Workflow completed' };
    const op = await unaryCall(c.finishWorkflow.bind(c), request);
    expect(op.done).toBe(false);
    const again = await unaryCall(c.finishWorkflow.bind(c), request);
    expect(again.id).toBe(op.id);
    const ops = alice.operations;
    await expect
      .poll(async () => (await unaryCall(ops.get.bind(ops), { operationId: op.id })).done)
      .toBe(true);
    const done = await unaryCall(ops.get.bind(ops), { operationId: op.id });
    expect(done.result?.$case).toBe('response');
    if (done.result?.$case === 'response') {
      expect(unpackAny(lzyWorkflowService.FinishWorkflowResponse, done.result.value)).toEqual({});
    }
    expect(cluster.portalOf(executionId).finished).toBe(true);
    expect(cluster.destroyedExecutions).toContain(executionId);
    await expect(
      unaryCall(bob.operations.get.bind(bob.operations), { operationId: op.id }),
    ).rejects.toThrow(NotFound);
  });

  const finishAndWait = async (workflowName: string, executionId: string) => {
    const c = alice.workflow;
    const op = await unaryCall(c.finishWorkflow.bind(c), {
      workflowName,
      executionId,
      reason: 'done',
    });
    const ops = alice.operations;
    const started = Date.now();
    await expect
      .poll(async () => (await unaryCall(ops.get.bind(ops), { operationId: op.id })).done, {
        timeout: 15_000,
      })
      .toBe(true);
    return Date.now() - started;
  };

  it('finishes at once when the portal VM died, still freeing the VM and the session', async () => {
    const workflowName = `wf-${randomUUID()}`;
    const { executionId } = await alice.start(workflowName);
    const vmIndex = cluster.allocations.findLastIndex(
      (a) => a.workloads[0]?.env.LZY_EXECUTION_ID === executionId,
    );
    await cluster.killPortal(executionId, 'node lost');
    expect(await finishAndWait(workflowName, executionId)).toBeLessThan(5_000);
    expect(cluster.freedVms).toContain(`vm-${vmIndex}`);
    expect(cluster.destroyedExecutions).toContain(executionId);
    expect(cluster.deletedSessions.length).toBeGreaterThan(0);
  });

  it('gives up a portal that does not answer while its VM lives, after LZY_PORTAL_UNREACHABLE_MS', async () => {
    const workflowName = `wf-${randomUUID()}`;
    const { executionId } = await alice.start(workflowName);
    await cluster.portalOf(executionId).stop(); // the process hangs or the network is cut
    const ms = await finishAndWait(workflowName, executionId);
    expect(ms).toBeGreaterThanOrEqual(1_000);
    expect(ms).toBeLessThan(12_000);
    expect(cluster.destroyedExecutions).toContain(executionId);
  });

  it("streams the portal's std lines and ends OK after finish", async () => {
    const workflowName = `wf-${randomUUID()}`;
    const { executionId } = await alice.start(workflowName);
    const portalDouble = cluster.portalOf(executionId);
    portalDouble.writeLine('stdout', 'hello\n');
    portalDouble.writeLine('stderr', 'oops\n');
    const c = alice.workflow;
    const received: lzyWorkflowService.ReadStdSlotsResponse[] = [];
    const reading = (async () => {
      for await (const m of serverStream(c.readStdSlots.bind(c), { executionId })) received.push(m);
    })();
    await expect.poll(() => received.length).toBe(2);
    await unaryCall(c.finishWorkflow.bind(c), { workflowName, executionId, reason: 'done' });
    await reading;
    expect(received.map((m) => m.data)).toEqual([
      { $case: 'stdout', value: { data: ['hello\n'] } },
      { $case: 'stderr', value: { data: ['oops\n'] } },
    ]);
  });
});

describe('isolation and auth', () => {
  it("answers NOT_FOUND to another user for an execution's status and logs", async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const { graphId } = await executeGraph(
      executionId,
      graphOf([operation('a', [], [`s3://tmp-bucket-alice/${randomUUID()}`])]),
    );
    const c = bob.workflow;
    await expect(unaryCall(c.graphStatus.bind(c), { executionId, graphId })).rejects.toThrow(
      `Cannot find active execution '${executionId}' of user 'bob'`,
    );
    const logs = serverStream(c.readStdSlots.bind(c), { executionId });
    await expect(logs.next()).rejects.toThrow(NotFound);
  });

  it('rejects a call without a token with UNAUTHENTICATED', async () => {
    const anonymous = publicClients(`127.0.0.1:${service.port}`, undefined);
    try {
      await expect(anonymous.start('wf')).rejects.toThrow(Unauthenticated);
    } finally {
      anonymous.close();
    }
  });
});
