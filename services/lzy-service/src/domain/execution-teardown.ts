import { FailedPrecondition, NotFound } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { JsonObject, OperationKind, PackedMessage } from '@lzy/operations';
import type { Execution, ExecutionStore } from '../db/execution-store.ts';
import type { GraphStore } from '../db/graph-store.ts';
import type { GraphTracker } from './graph-tracker.ts';
import type { Neighbours } from './ports.ts';

export interface ExecutionTeardownDeps {
  neighbours: Neighbours;
  executions: ExecutionStore;
  graphStore: GraphStore;
  tracker: GraphTracker;
  portalFinishTimeoutMs: number;
  log: Logger;
}

/** Errors meaning "already gone": teardown steps are idempotent and ignore them. */
function ignoreGone(err: unknown): void {
  if (err instanceof NotFound || err instanceof FailedPrecondition) return;
  throw err;
}

/**
 * Releases what an execution holds, in LZY's order (reference-lzy-internals §11.6): stop graphs →
 * portal Finish (drain std streams and snapshots) or Stop → destroy channels → free the portal VM
 * and delete its session → COMPLETED. Every step is idempotent, so a retried or resumed teardown
 * is safe.
 */
export class ExecutionTeardown {
  readonly #deps: ExecutionTeardownDeps;

  constructor(deps: ExecutionTeardownDeps) {
    this.#deps = deps;
  }

  async #load(executionId: string): Promise<Execution> {
    const execution = await this.#deps.executions.get(executionId);
    if (execution === undefined) throw new NotFound(`Execution '${executionId}' not found`);
    return execution;
  }

  async stopGraphs(executionId: string, reason: string): Promise<void> {
    this.#deps.tracker.forget(executionId);
    for (const graphId of await this.#deps.graphStore.listIds(executionId)) {
      await this.#deps.neighbours.graphs.stop(executionId, graphId, reason).catch(ignoreGone);
    }
  }

  async finishPortal(executionId: string): Promise<void> {
    const { portalAddress } = await this.#load(executionId);
    if (portalAddress === undefined) return;
    const { portal } = this.#deps.neighbours;
    await portal.finish(portalAddress, this.#deps.portalFinishTimeoutMs).catch(ignoreGone);
  }

  async stopPortal(executionId: string): Promise<void> {
    const { portalAddress } = await this.#load(executionId);
    if (portalAddress === undefined) return;
    await this.#deps.neighbours.portal.stop(portalAddress).catch(ignoreGone);
  }

  async destroyChannels(executionId: string): Promise<void> {
    await this.#deps.neighbours.channels.destroyAllChannels(executionId);
  }

  async releasePortalVm(executionId: string): Promise<void> {
    const { portalVmId, sessionId } = await this.#load(executionId);
    const { allocator } = this.#deps.neighbours;
    if (portalVmId !== undefined) await allocator.free(portalVmId).catch(ignoreGone);
    if (sessionId !== undefined) await allocator.deleteSession(sessionId);
  }

  async markCompleted(executionId: string): Promise<void> {
    await this.#deps.executions.setStatus(executionId, 'COMPLETED');
    this.#deps.log.info({ executionId }, 'execution finished');
  }

  /** Abort-style teardown inside the calling RPC (portal Stop, no draining). */
  async tearDownNow(executionId: string, reason: string): Promise<void> {
    await this.stopGraphs(executionId, reason);
    await this.stopPortal(executionId).catch((err: unknown) => {
      // The portal VM is deleted below anyway; a dead portal must not block the teardown.
      this.#deps.log.warn({ err, executionId }, 'portal stop failed');
    });
    await this.destroyChannels(executionId);
    await this.releasePortalVm(executionId);
    await this.markCompleted(executionId);
  }
}

export interface FinishState extends JsonObject {
  executionId: string;
  reason: string;
}

export const FINISH_WORKFLOW_KIND = 'finish-workflow';

/**
 * FinishWorkflow's background work as a durable operation (public-api §8): resumed after a
 * restart at its first unfinished step; completes with `response`.
 */
export function finishWorkflowKind(
  teardown: ExecutionTeardown,
  response: PackedMessage,
): OperationKind<FinishState> {
  return {
    name: FINISH_WORKFLOW_KIND,
    steps: [
      {
        name: 'stop-graphs',
        run: async ({ state }) => {
          await teardown.stopGraphs(state.executionId, state.reason || 'Workflow finished');
          return 'continue';
        },
      },
      {
        name: 'finish-portal',
        run: async ({ state }) => {
          await teardown.finishPortal(state.executionId);
          return 'continue';
        },
      },
      {
        name: 'destroy-channels',
        run: async ({ state }) => {
          await teardown.destroyChannels(state.executionId);
          return 'continue';
        },
      },
      {
        name: 'release-portal-vm',
        run: async ({ state }) => {
          await teardown.releasePortalVm(state.executionId);
          return 'continue';
        },
      },
      {
        name: 'complete',
        run: async ({ state }) => {
          await teardown.markCompleted(state.executionId);
          return { finish: response };
        },
      },
    ],
  };
}
