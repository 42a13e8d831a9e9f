import { setTimeout as delay } from 'node:timers/promises';
import { WorkSpan } from '@lzy/grpc';
import type { lzyWorkflow } from '@lzy/proto';
import type { LzyClients } from './lzy-clients.ts';
import { progressOf, sameProgress } from './progress.ts';
import type { ProgressEvent } from './progress.ts';
import { LzyExecutionError } from './execution-error.ts';
import { PollDelay } from './poll-delay.ts';

/** First GraphStatus delay: a warm op finishes in tens of ms, so look again soon. */
const POLL_MIN_MS = 5;

export interface GraphRunParams {
  clients: LzyClients;
  workflowName: string;
  executionId: string;
  graph: lzyWorkflow.Graph;
  calls: readonly { callId: string; name: string }[];
  /**
   * Longest GraphStatus period. The public API has no push for graph status, so the client
   * polls: from 5 ms, doubling while nothing changes, up to this.
   */
  pollIntervalMs: number;
  onProgress: ((event: ProgressEvent) => void) | undefined;
}

/**
 * Submits `graph` (ExecuteGraph) and polls GraphStatus until it is completed (every output
 * persisted) or failed. Both ride out a restart of LZY (LzyClients.call): a repeated ExecuteGraph
 * is the same request bytes, which lzy-service answers with the graph id of the first (it keys
 * graphs by execution and request hash), so a graph is never submitted twice.
 * The graph is one trace (W3C trace context on every call, so the services' spans of it share
 * its trace id; recorded here too when this process exports spans).
 * @throws LzyExecutionError when the graph fails.
 */
export async function runGraph(params: GraphRunParams): Promise<void> {
  const span = new WorkSpan('sdk.graph', {
    service: 'sdk',
    newTrace: true,
    attributes: { 'lzy.execution_id': params.executionId, 'lzy.ops': params.calls.length },
  });
  try {
    await span.run(() => submitAndFollow(params));
    span.end();
  } catch (err) {
    span.end({ error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

async function submitAndFollow(params: GraphRunParams): Promise<void> {
  const { clients, workflowName, executionId, graph, calls, onProgress } = params;
  const { workflows } = clients;
  const { graphId } = await clients.call(workflows.executeGraph.bind(workflows), {
    workflowName,
    executionId,
    graph,
  });
  let progress: ProgressEvent | undefined;
  const pollDelay = new PollDelay(POLL_MIN_MS, params.pollIntervalMs);
  for (;;) {
    const status = await clients.call(workflows.graphStatus.bind(workflows), {
      executionId,
      graphId,
    });
    const next = progressOf(graphId, calls, status, progress);
    const changed = !sameProgress(progress, next);
    if (onProgress !== undefined && changed) onProgress(next);
    progress = next;
    if (status.status?.$case === 'completed') return;
    if (status.status?.$case === 'failed') {
      throw new LzyExecutionError(graphId, status.status.value.description);
    }
    await delay(pollDelay.next(changed));
  }
}
