import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { FailedPrecondition, InvalidArgument } from '@lzy/errors';
import type { lzyWorkflow } from '@lzy/proto';
import type { DataStore } from './data-store.ts';
import { buildGraph, dataUri } from './graph-builder.ts';
import type { CallArg, GraphCall } from './graph-builder.ts';
import { runGraph } from './graph-run.ts';
import type { LzyClients } from './lzy-clients.ts';
import { LzyResult } from './lzy-result.ts';
import { bundleOpModule, opModuleRef } from './op-modules.ts';
import { checkOpExport } from './op.ts';
import type { OpMeta } from './op.ts';
import { choosePool } from './pools.ts';
import type { ProgressEvent } from './progress.ts';
import { Whiteboard } from './whiteboard.ts';
import type { WhiteboardOptions } from './whiteboard.ts';
import type { CallRecorder } from './workflow-context.ts';

/** A recorded call and where it is: pending → submitted (in a graph) → done or failed. */
interface Call extends Omit<GraphCall, 'poolName'> {
  completion: Promise<void> | undefined;
  state: 'pending' | 'submitted' | 'done' | 'failed';
  value: Promise<unknown> | undefined;
}

export interface WorkflowRunDeps {
  clients: LzyClients;
  data: DataStore;
  workflowName: string;
  executionId: string;
  /** `<storage uri>/lzy_runs/<workflow>/<executionId>`. */
  runPrefix: string;
  /** `<storage uri>` (whiteboards live under `<storage uri>/whiteboards/`). */
  storageUri: string;
  eager: boolean;
  pollIntervalMs: number;
  onProgress: ((event: ProgressEvent) => void) | undefined;
}

/** Validity of the op module URLs in a graph: SigV4's longest. */
const MODULE_URL_TTL_S = 7 * 24 * 3600;

const RUNTIME = {
  nodePath: process.execPath,
  runnerPath: fileURLToPath(new URL('./op-runner.ts', import.meta.url)),
};

/**
 * One execution of a workflow as the user's callback sees it (`wf`): records op calls, runs
 * them in graphs at barriers (one graph at a time, in order, so a later graph finds the earlier
 * graphs' results in storage), reads results lazily, and writes whiteboards.
 */
export class WorkflowRun implements CallRecorder {
  readonly #deps: WorkflowRunDeps;
  readonly #pending: Call[] = [];
  readonly #calls = new Map<string, Call>();
  readonly #graphs: Promise<void>[] = [];
  readonly #checkedOps = new Set<string>();
  /** Op module path → its shipped reference (one upload per module and run). */
  readonly #modules = new Map<string, Promise<string>>();
  readonly #whiteboards: Whiteboard[] = [];
  #chain: Promise<unknown> = Promise.resolve();
  #pools: Promise<lzyWorkflow.VmPoolSpec[]> | undefined;

  constructor(deps: WorkflowRunDeps) {
    this.#deps = deps;
  }

  get name(): string {
    return this.#deps.workflowName;
  }

  get executionId(): string {
    return this.#deps.executionId;
  }

  record<T>(op: OpMeta, args: readonly unknown[]): LzyResult<T> {
    const callId = randomUUID();
    const call: Call = {
      callId,
      op,
      args: args.map((arg, index) => this.#argOf(op, callId, arg, index)),
      returnUri: dataUri(this.#deps.runPrefix, op.name, 'return', callId),
      completion: undefined,
      state: 'pending',
      value: undefined,
    };
    this.#pending.push(call);
    this.#calls.set(callId, call);
    if (this.#deps.eager) void this.barrier().catch(() => undefined); // surfaced at await or end
    const ref = { callId, opName: op.name, returnUri: call.returnUri, owner: this };
    return new LzyResult(() => this.#valueOf(call) as Promise<T>, ref);
  }

  /** Runs every pending call now; resolves when they are done. @throws LzyExecutionError. */
  barrier(): Promise<void> {
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return this.#chain.then(() => undefined);
    const graph = this.#chain.then(() => this.#runBatch(batch));
    this.#chain = graph.catch(() => undefined);
    this.#graphs.push(graph);
    graph.catch(() => undefined); // a failure is reported to whoever awaits the call or the end
    for (const call of batch) {
      call.state = 'submitted';
      call.completion = graph;
    }
    return graph;
  }

  /**
   * A whiteboard of this workflow: registered (client-chosen id, status CREATED) when its first
   * field is written, finalized when the workflow finishes.
   */
  whiteboard(name: string, options: WhiteboardOptions = {}): Whiteboard {
    const wb = new Whiteboard({
      name,
      tags: options.tags ?? [],
      storageUri: this.#deps.storageUri,
      clients: this.#deps.clients,
      data: this.#deps.data,
      owner: this,
      isDone: (callId) => this.#calls.get(callId)?.state === 'done',
    });
    this.#whiteboards.push(wb);
    return wb;
  }

  /** The end of the callback: last barrier, whiteboards written; throws the first graph failure. */
  async complete(): Promise<void> {
    await this.barrier();
    await Promise.all(this.#graphs);
    await this.#flushWhiteboards();
  }

  async finalizeWhiteboards(): Promise<void> {
    for (const wb of this.#whiteboards) await wb.finalize();
  }

  #argOf(op: OpMeta, callId: string, arg: unknown, index: number): CallArg {
    const uri = dataUri(this.#deps.runPrefix, op.name, `arg${index}`, callId);
    if (arg instanceof LzyResult) {
      const ref = arg.call;
      if (ref === undefined || ref.owner !== this) {
        throw new InvalidArgument(
          `argument ${index} of op '${op.name}' is a result of another workflow or of a local call; pass its value`,
        );
      }
      return { kind: 'result', uri: ref.returnUri, producerCallId: ref.callId };
    }
    if (arg instanceof Promise) {
      throw new InvalidArgument(
        `argument ${index} of op '${op.name}' is a Promise; await it first`,
      );
    }
    return { kind: 'value', uri, value: arg };
  }

  async #valueOf(call: Call): Promise<unknown> {
    if (call.completion === undefined) await this.barrier();
    await call.completion;
    call.value ??= this.#deps.data.get(call.returnUri);
    return call.value;
  }

  async #runBatch(batch: Call[]): Promise<void> {
    try {
      const graph = await this.#prepare(batch);
      await runGraph({
        clients: this.#deps.clients,
        workflowName: this.#deps.workflowName,
        executionId: this.#deps.executionId,
        graph,
        calls: batch.map((call) => ({ callId: call.callId, name: call.op.name })),
        pollIntervalMs: this.#deps.pollIntervalMs,
        onProgress: this.#deps.onProgress,
      });
      for (const call of batch) call.state = 'done';
    } catch (err) {
      for (const call of batch) call.state = 'failed';
      throw err;
    }
    await this.#flushWhiteboards();
  }

  /** Pools, export checks, uploads of argument values, then the graph. */
  async #prepare(batch: Call[]): Promise<lzyWorkflow.Graph> {
    const pools = await this.#availablePools();
    const calls = batch.map((call) => ({
      ...call,
      poolName: choosePool(call.op.name, call.op.options, pools),
    }));
    for (const call of batch) {
      if (this.#checkedOps.has(call.op.moduleUrl + '#' + call.op.exportName)) continue;
      await checkOpExport(call.op);
      this.#checkedOps.add(call.op.moduleUrl + '#' + call.op.exportName);
    }
    const uploads: Promise<void>[] = [];
    for (const call of batch) {
      for (const arg of call.args) {
        if (arg.kind === 'value') uploads.push(this.#deps.data.put(arg.uri, arg.value));
        else this.#checkProducer(call, arg.producerCallId, batch);
      }
    }
    const modules = new Map<string, string>();
    for (const path of new Set(batch.map((call) => call.op.modulePath))) {
      modules.set(path, await this.#shippedModule(path));
    }
    await Promise.all(uploads);
    return buildGraph(calls, { ...RUNTIME, modules });
  }

  /**
   * The op module reference workers import `modulePath` from (op-modules.ts): its bundle in the
   * user's storage (uploaded once per content) behind a presigned URL valid for a week (SigV4's
   * longest; a graph that waits longer fails to fetch it).
   */
  #shippedModule(modulePath: string): Promise<string> {
    let ref = this.#modules.get(modulePath);
    if (ref === undefined) {
      ref = (async () => {
        const bundle = await bundleOpModule(modulePath);
        const uri = `${this.#deps.storageUri}/lzy_ts_modules/${bundle.sha256}`;
        await this.#deps.data.putBytesOnce(uri, bundle.bytes);
        return opModuleRef(this.#deps.data.presignGet(uri, Date.now(), MODULE_URL_TTL_S), bundle);
      })();
      this.#modules.set(modulePath, ref);
      ref.catch(() => this.#modules.delete(modulePath));
    }
    return ref;
  }

  #checkProducer(call: Call, producerCallId: string, batch: readonly Call[]): void {
    const producer = this.#calls.get(producerCallId);
    if (producer === undefined || producer.state === 'done' || batch.includes(producer)) return;
    throw new FailedPrecondition(
      `op '${call.op.name}' depends on a call of '${producer.op.name}' that failed`,
    );
  }

  #availablePools(): Promise<lzyWorkflow.VmPoolSpec[]> {
    const { workflows } = this.#deps.clients;
    this.#pools ??= this.#deps.clients
      .call(workflows.getAvailablePools.bind(workflows), {
        executionId: this.#deps.executionId,
      })
      .then((response) => response.poolSpecs);
    return this.#pools;
  }

  async #flushWhiteboards(): Promise<void> {
    for (const wb of this.#whiteboards) await wb.flush();
  }
}
