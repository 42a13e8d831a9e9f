import { randomUUID } from 'node:crypto';
import { InvalidArgument, NotFound } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { Clock } from '@lzy/operations';
import type { lzyWorkflow } from '@lzy/proto';
import type { Execution } from '../db/execution-store.ts';
import type { GraphRecord, GraphStore } from '../db/graph-store.ts';
import { planGraph } from './graph-plan.ts';
import type { GraphPlan } from './graph-plan.ts';
import type { GraphTracker } from './graph-tracker.ts';
import { validateGraph } from './graph-validation.ts';
import { LIMITS, checkId, checkGraphLimits, checkLength } from './input-limits.ts';
import { checkGraphStorage } from './storage-scope.ts';
import { withSigV4LocalModules } from './local-module-urls.ts';
import { initialView, userStatusOf } from './graph-view.ts';
import type { UserGraphStatus } from './graph-view.ts';
import type { Neighbours } from './ports.ts';
import type { Workflows } from './workflows.ts';

export interface GraphsDeps {
  neighbours: Neighbours;
  workflows: Workflows;
  store: GraphStore;
  tracker: GraphTracker;
  clock: Clock;
  log: Logger;
}

/** ExecuteGraph / GraphStatus / StopGraph (public-api §6.2, §7.1, §7.3). */
export class Graphs {
  readonly #deps: GraphsDeps;

  constructor(deps: GraphsDeps) {
    this.#deps = deps;
  }

  /**
   * Validates, creates channels, then opens portal slots and submits the graph to graph-executor
   * at once (pylzy's SigV2 local-module URLs re-signed as SigV4: withSigV4LocalModules); a
   * graph whose slots the portal refuses is stopped and the portal's error thrown.
   * An identical request (same execution, same bytes: `requestHash`) returns the same graph id,
   * finishing a submission that was interrupted (every step is idempotent). Every check (limits,
   * storage scope, structure, pools) passes before an output URI is claimed.
   * @throws NotFound (execution check), InvalidArgument (bad graph), PermissionDenied (a URI
   *   outside the execution's storage), neighbours' errors.
   */
  async execute(
    userId: string,
    request: { executionId: string; workflowName: string; graph: lzyWorkflow.Graph },
    requestHash: string,
  ): Promise<string> {
    checkLength(request.workflowName, LIMITS.workflowNameChars, 'workflowName');
    const execution = await this.#deps.workflows.requireActive(userId, request.executionId);
    const { store, neighbours } = this.#deps;
    const { graph } = request;
    let record = await store.findByHash(execution.executionId, requestHash);
    if (record?.submitted === true) return record.graphId;
    checkGraphLimits(graph);
    checkGraphStorage(graph, execution.storage);
    const zone = validateGraph(graph, await neighbours.allocator.listWorkerPools());
    const graphId = record?.graphId ?? randomUUID();
    const inputs = graph.operations.flatMap((op) => op.inputSlots.map((s) => s.storageUri));
    // Re-signed URLs are signed at the graph's creation time: a replay submits the same tasks
    // to graph-executor, which is idempotent on their bytes.
    const now = new Date(this.#deps.clock.now());
    const signedAtMs = (record?.createdAt ?? now).getTime();
    const plan = planGraph({
      executionId: execution.executionId,
      graphId,
      graph: withSigV4LocalModules(graph, execution.storage, signedAtMs),
      zone,
      storage: execution.portalStorage,
      producedEarlier: await store.producedIn(execution.executionId, inputs),
      portalAddress: execution.portalAddress ?? '',
    });
    if (record === undefined) {
      const used = await store.usedOutputs(plan.outputUris);
      if (used.length > 0) {
        throw new InvalidArgument(
          `Output storage URI '${used[0] ?? ''}' is already used; outputs are write-once`,
        );
      }
      record = await store.create({
        executionId: execution.executionId,
        graphId,
        requestHash,
        outputSlots: plan.outputSlots,
        outputUris: plan.outputUris,
        now,
      });
      if (record.graphId !== graphId) return record.graphId; // an identical request won the race
    }
    await this.#submit(execution, request, graphId, plan);
    return graphId;
  }

  async #submit(
    execution: Execution,
    request: { workflowName: string; graph: lzyWorkflow.Graph },
    graphId: string,
    plan: GraphPlan,
  ): Promise<void> {
    const { neighbours, store, tracker } = this.#deps;
    const { executionId, userId, workflowName, portalAddress } = execution;
    if (portalAddress === undefined) throw new NotFound('Portal not found.');
    await neighbours.channels.createChannels({
      executionId,
      workflowName,
      userId,
      channelNames: plan.channels,
    });
    // With the channels made, the portal's slots and the tasks may bind in either order (a
    // receiver learns its sender by push), so both go out at once: the first task does not wait
    // for the portal. Both calls are idempotent, so a replay of an interrupted submission (same
    // request bytes) repeats them.
    const [opened, executed] = await Promise.allSettled([
      neighbours.portal.openSlots(portalAddress, plan.portalSlots),
      neighbours.graphs.execute({
        executionId,
        workflowName,
        userId,
        graphId,
        parentGraphId: request.graph.parentGraphId,
        tasks: plan.tasks,
        portalAddress,
      }),
    ]);
    if (opened.status === 'rejected') {
      await this.#stopUnpersisted(executionId, graphId, opened.reason);
      throw opened.reason;
    }
    if (executed.status === 'rejected') throw executed.reason;
    await store.markSubmitted(executionId, graphId);
    tracker.track({
      executionId,
      graphId,
      portalAddress,
      portalVmId: execution.portalVmId,
      outputSlots: plan.outputSlots,
    });
    this.#deps.log.info({ executionId, graphId, tasks: plan.tasks.length }, 'graph submitted');
  }

  /**
   * The portal could not open the graph's slots, so its outputs would never be stored: stop the
   * graph (its tasks may be running already). A replay of the request then finds it failed with
   * this reason. A failing stop is logged: the caller gets the portal's error either way.
   */
  async #stopUnpersisted(executionId: string, graphId: string, cause: unknown): Promise<void> {
    const why = cause instanceof Error ? cause.message : String(cause);
    const reason = `The portal could not open the graph's slots: ${why}`;
    await this.#deps.neighbours.graphs.stop(executionId, graphId, reason).catch((err: unknown) => {
      this.#deps.log.warn({ err, executionId, graphId }, 'cannot stop a graph without slots');
    });
  }

  /** @throws InvalidArgument (malformed ids), NotFound (execution check, unknown graph). */
  async status(userId: string, executionId: string, graphId: string): Promise<UserGraphStatus> {
    checkId(graphId, 'graphId');
    const execution = await this.#deps.workflows.requireActive(userId, executionId);
    const inMemory = this.#deps.tracker.view(executionId, graphId);
    if (inMemory !== undefined) return userStatusOf(inMemory);
    const record = await this.#deps.store.get(executionId, graphId);
    if (record === undefined)
      throw new NotFound(`Cannot obtain graph status: graph '${graphId}' not found`);
    return userStatusOf(this.#resume(execution, record));
  }

  /** After a restart: follow a submitted graph again, starting from its stored view. */
  #resume(execution: Execution, record: GraphRecord) {
    if (!record.submitted || execution.portalAddress === undefined) {
      return record.view ?? initialView(record.outputSlots);
    }
    return this.#deps.tracker.track({
      executionId: record.executionId,
      graphId: record.graphId,
      portalAddress: execution.portalAddress,
      portalVmId: execution.portalVmId,
      outputSlots: record.outputSlots,
      view: record.view,
    });
  }

  /** Forwards to graph-executor. @throws NotFound (execution check). */
  async stop(userId: string, executionId: string, graphId: string): Promise<void> {
    checkId(graphId, 'graphId');
    await this.#deps.workflows.requireActive(userId, executionId);
    await this.#deps.neighbours.graphs.stop(executionId, graphId, 'Stopped by the user');
  }
}
