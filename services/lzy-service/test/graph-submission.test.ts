import { randomUUID } from 'node:crypto';
import { FailedPrecondition } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { graphExecutor } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

beforeAll(async () => {
  await cluster.start(silentLog);
  service = await startLzyService(testServiceConfig(pg.url, cluster.address), { log: silentLog });
  expect(await service.ready).toBe(true);
  alice = publicClients(`127.0.0.1:${service.port}`, 'alice.test.token');
});

afterAll(async () => {
  alice?.close();
  await service?.stop();
  await cluster.stop();
});

function executeGraph(executionId: string, graph: ReturnType<typeof graphOf>) {
  const c = alice.workflow;
  return unaryCall(c.executeGraph.bind(c), { workflowName: 'wf', executionId, graph });
}

const submittedOf = (executionId: string) =>
  cluster.executedGraphs.filter((g) => g.executionId === executionId);

describe('ExecuteGraph submission', () => {
  it("submits the graph to graph-executor without waiting for the portal's slots", async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const out = `s3://tmp-bucket-alice/${randomUUID()}`;
    // This portal answers OpenSlots only once graph-executor has the graph: one after the other,
    // ExecuteGraph would never get there.
    cluster.portalOf(executionId).beforeOpenSlots = () =>
      vi.waitFor(() => expect(submittedOf(executionId)).toHaveLength(1), { timeout: 10_000 });
    const { graphId } = await executeGraph(executionId, graphOf([operation('a', [], [out])]));
    expect(submittedOf(executionId).map((g) => g.graphId)).toEqual([graphId]);
    expect(cluster.portalOf(executionId).openedSlots.map((s) => s.slot?.name)).toEqual([
      `snapshot-${uriDigest(out)}`,
    ]);
    expect(cluster.stoppedGraphs).not.toContain(graphId);
  });

  it("stops the graph and answers the portal's refusal; a replay finishes the submission", async () => {
    const { executionId } = await alice.start(`wf-${randomUUID()}`);
    const out = `s3://tmp-bucket-alice/${randomUUID()}`;
    const graph = graphOf([operation('a', [], [out])]);
    const portalDouble = cluster.portalOf(executionId);
    portalDouble.failOpenSlots = 1;

    const refused = executeGraph(executionId, graph);
    await expect(refused).rejects.toThrow(FailedPrecondition);
    await expect(refused).rejects.toThrow(`${out} already exists: snapshots are write-once`);
    const [submitted] = submittedOf(executionId);
    const graphId = submitted?.graphId ?? '';
    expect(cluster.stopReasons.get(graphId)).toBe(
      `The portal could not open the graph's slots: ${out} already exists: snapshots are write-once`,
    );
    expect(portalDouble.openedSlots).toEqual([]);

    // The same request again: same graph, slots opened, submitted again (idempotent there), and
    // followed like any graph: graph-executor's verdict (the stop) is what the user sees.
    const replay = await executeGraph(executionId, graph);
    expect(replay.graphId).toBe(graphId);
    expect(portalDouble.openedSlots.map((s) => s.slot?.name)).toEqual([
      `snapshot-${uriDigest(out)}`,
    ]);
    expect(submittedOf(executionId).map((g) => g.graphId)).toEqual([graphId, graphId]);
    cluster.reportGraph(
      executionId,
      graphId,
      graphExecutor.GraphState.GRAPH_STATE_FAILED,
      cluster.stopReasons.get(graphId),
    );
    const c = alice.workflow;
    await expect
      .poll(async () => (await unaryCall(c.graphStatus.bind(c), { executionId, graphId })).status)
      .toEqual({
        $case: 'failed',
        value: { description: expect.stringContaining('could not open the graph') as unknown },
      });
  });
});
