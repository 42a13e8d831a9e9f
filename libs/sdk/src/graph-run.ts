import { setTimeout as delay } from 'node:timers/promises';
import { status as grpcStatus } from '@grpc/grpc-js';
import { Unavailable } from '@lzy/errors';
import { GrpcCallError, WorkSpan, serverStream } from '@lzy/grpc';
import type { lzyWorkflow, lzyWorkflowService } from '@lzy/proto';
import type { LzyClients } from './lzy-clients.ts';
import { progressOf, sameProgress } from './progress.ts';
import type { ProgressEvent } from './progress.ts';
import { LzyExecutionError } from './execution-error.ts';
import { PollDelay } from './poll-delay.ts';
import { reconnectDelayMs } from './reconnect.ts';

type GraphStatusResponse = lzyWorkflowService.GraphStatusResponse;

/** First GraphStatus delay: a warm op finishes in tens of ms, so look again soon. */
const POLL_MIN_MS = 5;

export interface GraphRunParams {
  clients: LzyClients;
  workflowName: string;
  executionId: string;
  graph: lzyWorkflow.Graph;
  calls: readonly { callId: string; name: string }[];
  /**
   * Longest GraphStatus period when the server has no WatchGraph (LZY itself, an older LZY-TS):
   * the client polls then, from 5 ms, doubling while nothing changes, up to this.
   */
  pollIntervalMs: number;
  onProgress: ((event: ProgressEvent) => void) | undefined;
}

/**
 * Submits `graph` (ExecuteGraph) and follows its status until it is completed (every output
 * persisted) or failed: pushed by WatchGraph, else (UNIMPLEMENTED) polled with GraphStatus.
 * Both ride out a restart of LZY (LzyClients.call, WatchGraph re-opened): a repeated ExecuteGraph
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
  const { clients, workflowName, executionId, graph } = params;
  const { workflows } = clients;
  const { graphId } = await clients.call(workflows.executeGraph.bind(workflows), {
    workflowName,
    executionId,
    graph,
  });
  const see = statusObserver(graphId, params);
  if (!clients.watchGraphUnimplemented) {
    if (await watchGraph(clients, executionId, graphId, see)) return;
    clients.watchGraphUnimplemented = true;
  }
  await pollGraph(clients, executionId, graphId, see, params.pollIntervalMs);
}

/**
 * Sends progress events as statuses come; returns whether the op states changed.
 * @throws LzyExecutionError on a failed status.
 */
type StatusObserver = (status: GraphStatusResponse) => boolean;

function statusObserver(graphId: string, params: GraphRunParams): StatusObserver {
  const { calls, onProgress } = params;
  let progress: ProgressEvent | undefined;
  return (status) => {
    const next = progressOf(graphId, calls, status, progress);
    const changed = !sameProgress(progress, next);
    if (onProgress !== undefined && changed) onProgress(next);
    progress = next;
    if (status.status?.$case === 'failed') {
      throw new LzyExecutionError(graphId, status.status.value.description);
    }
    return changed;
  };
}

/**
 * Follows WatchGraph (LZY-TS's push of GraphStatus) until the graph completed: true. false when
 * the server does not serve it (UNIMPLEMENTED: LZY itself or an older LZY-TS). A stream broken
 * while LZY is unavailable (a restart) is opened again with the backoff of clients.reconnect, for
 * at most its timeoutMs per outage; every new stream starts with the current status, so no
 * change is lost.
 * @throws LzyExecutionError when the graph fails; the stream's other errors.
 */
async function watchGraph(
  clients: LzyClients,
  executionId: string,
  graphId: string,
  see: StatusObserver,
): Promise<boolean> {
  const { watches, reconnect } = clients;
  let outageSinceMs: number | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const stream = serverStream(watches.watchGraph.bind(watches), { executionId, graphId });
      for await (const message of stream) {
        outageSinceMs = undefined;
        attempt = 0;
        const status = message.status ?? { status: undefined };
        see(status);
        if (status.status?.$case === 'completed') return true;
      }
      // The server ends the stream only after a final status; anything else is an outage.
      throw new Unavailable('WatchGraph ended before the graph was final');
    } catch (err) {
      if (err instanceof GrpcCallError && err.code === grpcStatus.UNIMPLEMENTED) return false;
      if (!(err instanceof Unavailable)) throw err;
      outageSinceMs ??= Date.now();
      const waitMs = reconnectDelayMs(reconnect, attempt);
      if (Date.now() + waitMs - outageSinceMs > reconnect.timeoutMs) throw err;
      await delay(waitMs);
    }
  }
}

/** Polls GraphStatus (an LZY without WatchGraph) until the graph completed. */
async function pollGraph(
  clients: LzyClients,
  executionId: string,
  graphId: string,
  see: StatusObserver,
  pollIntervalMs: number,
): Promise<void> {
  const { workflows } = clients;
  const pollDelay = new PollDelay(POLL_MIN_MS, pollIntervalMs);
  for (;;) {
    const status = await clients.call(workflows.graphStatus.bind(workflows), {
      executionId,
      graphId,
    });
    const changed = see(status);
    if (status.status?.$case === 'completed') return;
    await delay(pollDelay.next(changed));
  }
}
