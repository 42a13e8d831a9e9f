import { setTimeout as delay } from 'node:timers/promises';
import { unaryCall } from '@lzy/grpc';
import type { lzyWorkflow } from '@lzy/proto';
import type { LzyClients } from './lzy-clients.ts';
import { progressOf, sameProgress } from './progress.ts';
import type { ProgressEvent } from './progress.ts';

/** An op of the workflow failed; the message carries the server's description (exit code, stderr tail). */
export class LzyExecutionError extends Error {
  readonly graphId: string;
  constructor(graphId: string, description: string) {
    super(`Failed executing graph ${graphId}: ${description}`);
    this.name = 'LzyExecutionError';
    this.graphId = graphId;
  }
}

export interface GraphRunParams {
  clients: LzyClients;
  workflowName: string;
  executionId: string;
  graph: lzyWorkflow.Graph;
  calls: readonly { callId: string; name: string }[];
  /** GraphStatus period. The public API has no push for graph status, so the client polls. */
  pollIntervalMs: number;
  onProgress: ((event: ProgressEvent) => void) | undefined;
}

/**
 * Submits `graph` (ExecuteGraph) and polls GraphStatus until it is completed (every output
 * persisted) or failed. @throws LzyExecutionError when the graph fails.
 */
export async function runGraph(params: GraphRunParams): Promise<void> {
  const { clients, workflowName, executionId, graph, calls, onProgress } = params;
  const { workflows } = clients;
  const { graphId } = await unaryCall(workflows.executeGraph.bind(workflows), {
    workflowName,
    executionId,
    graph,
  });
  let progress: ProgressEvent | undefined;
  for (;;) {
    const status = await unaryCall(workflows.graphStatus.bind(workflows), {
      executionId,
      graphId,
    });
    const next = progressOf(graphId, calls, status, progress);
    if (onProgress !== undefined && !sameProgress(progress, next)) onProgress(next);
    progress = next;
    if (status.status?.$case === 'completed') return;
    if (status.status?.$case === 'failed') {
      throw new LzyExecutionError(graphId, status.status.value.description);
    }
    await delay(params.pollIntervalMs);
  }
}
