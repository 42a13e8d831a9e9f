import { randomUUID } from 'node:crypto';
import { InvalidArgument, NotFound, Unauthenticated, Unavailable } from '@lzy/errors';
import { serverStream, unaryCall } from '@lzy/grpc';
import { graphExecutor, portal } from '@lzy/proto';
import type { lzyWorkflowService } from '@lzy/proto';
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

type Clients = ReturnType<typeof publicClients>;
type Status = lzyWorkflowService.GraphStatusResponse['status'];

const pg = usePostgres({ template: lzyServiceTemplate });
const cluster = new ClusterDouble();
let service: RunningLzyService;
let alice: Clients;
let bob: Clients;

const { GRAPH_STATE_EXECUTING, GRAPH_STATE_COMPLETED, GRAPH_STATE_FAILED } =
  graphExecutor.GraphState;
const waiting: Status = { $case: 'waiting', value: {} };
const completed: Status = { $case: 'completed', value: {} };
const executing = (message: string): Status => ({
  $case: 'executing',
  value: { operationsCompleted: [], operationsExecuting: [], operationsWaiting: [], message },
});

beforeAll(async () => {
  await cluster.start(silentLog);
  service = await startLzyService(testServiceConfig(pg.url, cluster.address), { log: silentLog });
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

/** Starts an execution of alice's with a one-op graph; its output's portal slot name. */
async function aliceGraph(clients: Clients = alice) {
  const workflowName = `wf-${randomUUID()}`;
  const { executionId } = await clients.start(workflowName);
  const out = `s3://tmp-bucket-alice/${randomUUID()}`;
  const c = clients.workflow;
  const { graphId } = await unaryCall(c.executeGraph.bind(c), {
    workflowName,
    executionId,
    graph: graphOf([operation('a', [], [out])]),
  });
  return { workflowName, executionId, graphId, slotName: `snapshot-${uriDigest(out)}` };
}

/** Opens WatchGraph; `received` fills as messages come, `ended` settles with the stream. */
function watch(clients: Clients, executionId: string, graphId: string) {
  const received: Status[] = [];
  const c = clients.watches;
  const ended = (async () => {
    for await (const message of serverStream(c.watchGraph.bind(c), { executionId, graphId })) {
      received.push(message.status?.status);
    }
  })();
  ended.catch(() => undefined); // awaited by the test
  return { received, ended };
}

describe('WatchGraph', () => {
  it('pushes each status of a graph as it changes and ends after completed', async () => {
    const { executionId, graphId, slotName } = await aliceGraph();
    const stream = watch(alice, executionId, graphId);
    await expect.poll(() => stream.received).toEqual([waiting]);
    cluster.reportGraph(executionId, graphId, GRAPH_STATE_EXECUTING);
    await expect.poll(() => stream.received).toEqual([waiting, executing('Graph status')]);
    cluster.reportGraph(executionId, graphId, GRAPH_STATE_COMPLETED);
    await expect.poll(() => stream.received.at(-1)).toEqual(executing('Saving results to storage'));
    cluster.portalOf(executionId).report(slotName, portal.SnapshotStatus.SNAPSHOT_STATUS_SYNCED);
    await stream.ended;
    // One message per change of the status, none repeated, completed last.
    expect(stream.received).toEqual([
      waiting,
      executing('Graph status'),
      executing('Saving results to storage'),
      completed,
    ]);
    // Opened after the end: the final status at once, then the stream ends.
    const late = watch(alice, executionId, graphId);
    await late.ended;
    expect(late.received).toEqual([completed]);
  });

  it('ends with failed and its description when the graph fails', async () => {
    const { executionId, graphId } = await aliceGraph();
    const stream = watch(alice, executionId, graphId);
    await expect.poll(() => stream.received).toEqual([waiting]);
    cluster.reportGraph(executionId, graphId, GRAPH_STATE_FAILED, 'rc=1: boom');
    await stream.ended;
    expect(stream.received).toEqual([
      waiting,
      { $case: 'failed', value: { description: 'rc=1: boom' } },
    ]);
  });

  it("refuses another user's execution with GraphStatus's NOT_FOUND", async () => {
    const { executionId, graphId } = await aliceGraph();
    const c = bob.workflow;
    const statusError = await unaryCall(c.graphStatus.bind(c), { executionId, graphId }).catch(
      (err: unknown) => err,
    );
    expect(statusError).toBeInstanceOf(NotFound);
    const stream = watch(bob, executionId, graphId);
    await expect(stream.ended).rejects.toThrow(NotFound);
    await expect(stream.ended).rejects.toThrow((statusError as NotFound).message);
    await expect(stream.ended).rejects.toThrow(`of user 'bob'`);
    expect(stream.received).toEqual([]);
  });

  it('refuses an unknown graph (NOT_FOUND), a malformed id (INVALID_ARGUMENT) and no token', async () => {
    const { executionId } = await aliceGraph();
    const unknown = watch(alice, executionId, randomUUID());
    await expect(unknown.ended).rejects.toThrow(NotFound);
    await expect(unknown.ended).rejects.toThrow(/graph '.*' not found/);
    await expect(watch(alice, executionId, 'x'.repeat(5_000)).ended).rejects.toThrow(
      InvalidArgument,
    );
    await expect(watch(alice, executionId, 'bad\u0000id').ended).rejects.toThrow(InvalidArgument);
    const anonymous = publicClients(`127.0.0.1:${service.port}`, undefined);
    try {
      await expect(watch(anonymous, executionId, randomUUID()).ended).rejects.toThrow(
        Unauthenticated,
      );
    } finally {
      anonymous.close();
    }
  });

  it('ends with NOT_FOUND when the execution is finished while its graph runs', async () => {
    const { workflowName, executionId, graphId } = await aliceGraph();
    const stream = watch(alice, executionId, graphId);
    cluster.reportGraph(executionId, graphId, GRAPH_STATE_EXECUTING);
    await expect.poll(() => stream.received.at(-1)).toEqual(executing('Graph status'));
    const c = alice.workflow;
    await unaryCall(c.finishWorkflow.bind(c), { workflowName, executionId, reason: 'done' });
    await expect(stream.ended).rejects.toThrow(NotFound);
    await expect(stream.ended).rejects.toThrow(executionId);
  });
});

describe('WatchGraph across a restart of lzy-service', () => {
  it('ends open streams with UNAVAILABLE on stop; the next instance resumes the graph', async () => {
    const config = testServiceConfig(pg.url, cluster.address);
    const first = await startLzyService(config, { log: silentLog });
    let second: RunningLzyService | undefined;
    let clients = publicClients(`127.0.0.1:${first.port}`, 'alice.test.token');
    try {
      expect(await first.ready).toBe(true);
      const { executionId, graphId, slotName } = await aliceGraph(clients);
      const before = watch(clients, executionId, graphId);
      await expect.poll(() => before.received).toEqual([waiting]);
      await first.stop();
      clients.close();
      await expect(before.ended).rejects.toThrow(Unavailable);
      await expect(before.ended).rejects.toThrow(/stopping; open the WatchGraph stream again/);

      // The graph moved on while no instance followed it; the new one picks it up from the start.
      cluster.reportGraph(executionId, graphId, GRAPH_STATE_EXECUTING);
      second = await startLzyService(config, { log: silentLog });
      expect(await second.ready).toBe(true);
      clients = publicClients(`127.0.0.1:${second.port}`, 'alice.test.token');
      const after = watch(clients, executionId, graphId);
      await expect.poll(() => after.received.at(-1)).toEqual(executing('Graph status'));
      cluster.reportGraph(executionId, graphId, GRAPH_STATE_COMPLETED);
      cluster.portalOf(executionId).report(slotName, portal.SnapshotStatus.SNAPSHOT_STATUS_SYNCED);
      await after.ended;
      expect(after.received.at(-1)).toEqual(completed);
    } finally {
      clients.close();
      await first.stop();
      await second?.stop();
    }
  });
});
