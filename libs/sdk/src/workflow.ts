import { setTimeout as delay } from 'node:timers/promises';
import { FailedPrecondition, InvalidArgument } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import { isProgressEnabled, loadClientConfig } from './config.ts';
import type { ClientConfig } from './config.ts';
import { DataStore } from './data-store.ts';
import { LzyClients } from './lzy-clients.ts';
import { TtyProgress } from './progress.ts';
import type { ProgressEvent } from './progress.ts';
import { PollDelay } from './poll-delay.ts';
import { reconnectPolicy } from './reconnect.ts';
import { PROCESS_STD_SINK, relayStd } from './std-relay.ts';
import type { StdSink } from './std-relay.ts';
import { isInsideOp, runInWorkflow } from './workflow-context.ts';
import { WorkflowRun } from './workflow-run.ts';

export interface WorkflowOptions {
  /** Run each op call at once instead of at the next barrier. Default false (lazy). */
  eager?: boolean;
  /** Default: loadClientConfig(process.env). */
  config?: ClientConfig;
  /** Op states of each running graph; default: a terminal renderer when LZY_PROGRESS=1. */
  onProgress?: (event: ProgressEvent) => void;
  /** Where op stdout/stderr go; default this process's stdout/stderr. */
  std?: StdSink;
  /** Longest GraphStatus polling period (ms); polls start at 5 ms and back off. Default 50. */
  pollIntervalMs?: number;
  /**
   * How long each call rides out an LZY that is unavailable (a restarted local suite: connection
   * refused, services starting) before the workflow fails, in ms; 0: fail at once. Default
   * LZY_RECONNECT_TIMEOUT_MS, else 2 minutes.
   */
  reconnectTimeoutMs?: number;
}

/** `wf` in `workflow(name, async (wf) => …)`. */
export type Workflow = Pick<WorkflowRun, 'name' | 'executionId' | 'barrier' | 'whiteboard'>;

/** FinishWorkflow's operation: polled from 5 ms, backing off to 100 ms. */
const FINISH_POLL_MIN_MS = 5;
const FINISH_POLL_MAX_MS = 100;

/**
 * Runs `fn` as an execution of workflow `name`: StartWorkflow, op calls recorded and run in
 * graphs at barriers (awaiting a result, `wf.barrier()`, the end of `fn`), op output relayed,
 * then FinishWorkflow (waiting for its operation and the end of the output stream) and the
 * whiteboards finalized. If `fn` or an op fails the execution is aborted (AbortWorkflow) and
 * the error is rethrown. Resolves with `fn`'s value.
 * @throws InvalidArgument for a bad name; FailedPrecondition when called inside an op;
 *   LzyExecutionError when an op fails; service errors as @lzy/errors classes.
 */
export async function workflow<T>(
  name: string,
  fn: (wf: Workflow) => Promise<T>,
  options: WorkflowOptions = {},
): Promise<T> {
  if (!/^[a-zA-Z0-9_-]+$/.test(name)) {
    throw new InvalidArgument(`workflow name '${name}' may hold only letters, digits, _ and -`);
  }
  if (isInsideOp()) {
    throw new FailedPrecondition(
      `workflow('${name}') was called while an op's module was imported on a worker; start workflows only from the entry point (guard it with \`if (import.meta.main)\`)`,
    );
  }
  const clients = await LzyClients.connect(
    options.config ?? loadClientConfig(),
    reconnectPolicy(options.reconnectTimeoutMs),
  );
  try {
    return await runExecution(clients, name, fn, options);
  } finally {
    clients.close();
  }
}

async function runExecution<T>(
  clients: LzyClients,
  name: string,
  fn: (wf: Workflow) => Promise<T>,
  options: WorkflowOptions,
): Promise<T> {
  const { workflows } = clients;
  // Repeated after a lost answer, StartWorkflow aborts the execution the first one started.
  const started = await clients.call(workflows.startWorkflow.bind(workflows), {
    workflowName: name,
    snapshotStorage: undefined,
  });
  const { executionId } = started;
  const storage = started.internalSnapshotStorage;
  if (storage === undefined || storage.uri === '') {
    throw new FailedPrecondition(
      'StartWorkflow returned no internal storage; user storage is not supported yet',
    );
  }
  const data = new DataStore(storage);
  const stdAbort = new AbortController();
  const std = relayStd(clients, executionId, options.std ?? PROCESS_STD_SINK, stdAbort.signal);
  std.catch(() => undefined); // awaited below; an early failure must not crash the process
  const storageUri = storage.uri.replace(/\/+$/, '');
  const run = new WorkflowRun({
    clients,
    data,
    workflowName: name,
    executionId,
    runPrefix: `${storageUri}/lzy_runs/${name}/${executionId}`,
    storageUri,
    eager: options.eager ?? false,
    pollIntervalMs: options.pollIntervalMs ?? 50,
    onProgress: options.onProgress ?? defaultProgress(),
  });
  try {
    const result = await runInWorkflow(run, () => fn(run));
    await run.complete();
    await finish(clients, name, executionId);
    await std;
    await run.finalizeWhiteboards();
    return result;
  } catch (err) {
    stdAbort.abort();
    await unaryCall(workflows.abortWorkflow.bind(workflows), {
      workflowName: name,
      executionId,
      reason: `Workflow execution aborted: ${err instanceof Error ? err.message : String(err)}`,
    }).catch(() => undefined); // already finished or unreachable: the original error matters
    throw err;
  } finally {
    data.close();
  }
}

/** FinishWorkflow, then LongRunningService.Get until the operation is done (§8). */
async function finish(clients: LzyClients, workflowName: string, executionId: string) {
  const { workflows, operations } = clients;
  // A repeated Finish of a finishing execution answers with the same operation.
  const operation = await clients.call(workflows.finishWorkflow.bind(workflows), {
    workflowName,
    executionId,
    reason: 'Workflow completed',
  });
  const pollDelay = new PollDelay(FINISH_POLL_MIN_MS, FINISH_POLL_MAX_MS);
  for (let current = operation; !current.done;) {
    await delay(pollDelay.next(false));
    current = await clients.call(operations.get.bind(operations), { operationId: operation.id });
    if (current.result?.$case === 'error') {
      throw new FailedPrecondition(`FinishWorkflow failed: ${current.result.value.message}`);
    }
  }
}

function defaultProgress(): ((event: ProgressEvent) => void) | undefined {
  if (!isProgressEnabled()) return undefined;
  const tty = new TtyProgress(process.stderr);
  return (event) => tty.render(event);
}
