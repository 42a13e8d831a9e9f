import { DeadlineExceeded, FailedPrecondition, NotFound, Unavailable } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type {
  Clock,
  JsonObject,
  OperationKind,
  OperationStep,
  PackedMessage,
  StepResult,
} from '@lzy/operations';
import type { Execution, ExecutionStore } from '../db/execution-store.ts';
import type { GraphStore } from '../db/graph-store.ts';
import type { GraphTracker } from './graph-tracker.ts';
import type { Neighbours } from './ports.ts';

export interface ExecutionTeardownDeps {
  neighbours: Neighbours;
  executions: ExecutionStore;
  graphStore: GraphStore;
  tracker: GraphTracker;
  /** How long the portal may take to store what the graphs produced (Finish). */
  portalFinishTimeoutMs: number;
  /** How long an unreachable portal whose VM still lives is tried before it is given up. */
  portalUnreachableMs?: number;
  clock: Clock;
  log: Logger;
}

/** Errors meaning "already gone": teardown steps are idempotent and ignore them. */
function ignoreGone(err: unknown): void {
  if (err instanceof NotFound || err instanceof FailedPrecondition) return;
  throw err;
}

/** The portal could not be reached (dead, restarting, or the network), or did not finish. */
function isUnreachable(err: unknown): boolean {
  return err instanceof Unavailable || err instanceof DeadlineExceeded;
}

/** State of a teardown operation (Finish or Abort), persisted at each step boundary. */
export interface TeardownState extends JsonObject {
  executionId: string;
  reason: string;
  /** When the portal was first found unreachable in the current portal step (epoch ms; 0: not). */
  portalUnreachableSinceMs: number;
}

/**
 * Releases what an execution holds, in LZY's order (reference-lzy-internals §11.6): stop graphs →
 * portal Finish (drain std streams and snapshots) or Stop → destroy channels → free the portal VM
 * and delete its session → COMPLETED. Every step is idempotent, so a retried or resumed teardown
 * is safe, and every step that talks to the portal is bounded: a portal that is gone is given up
 * (issue 12), so the VM and session are always freed.
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

  /**
   * Finish (drain) or Stop the portal. A portal whose VM is gone is skipped at once; one that is
   * unreachable while its VM lives is tried again for `portalUnreachableMs`, then given up; one
   * that does not finish within `portalFinishTimeoutMs` is stopped. Outputs it had not stored
   * by then are lost, and the log says so.
   */
  async portalStep(state: TeardownState, mode: 'finish' | 'stop'): Promise<StepResult> {
    const { executionId } = state;
    const { portalAddress, portalVmId } = await this.#load(executionId);
    if (portalAddress === undefined) return 'continue';
    const { portal, allocator } = this.#deps.neighbours;
    const log = this.#deps.log.child({ executionId, portalVmId });
    if (portalVmId !== undefined) {
      const life = await allocator.vmLife(portalVmId);
      if (life.gone) {
        log.warn({ reason: life.reason }, 'the portal VM is gone; its teardown step is skipped');
        return 'continue';
      }
    }
    try {
      if (mode === 'finish') {
        await portal.finish(portalAddress, this.#deps.portalFinishTimeoutMs).catch(ignoreGone);
      } else {
        await portal.stop(portalAddress).catch(ignoreGone);
      }
      return 'continue';
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      if (mode === 'finish' && err instanceof DeadlineExceeded) {
        log.warn({ err }, 'the portal did not finish in time; stopping it');
        await portal.stop(portalAddress).catch(() => undefined);
        return 'continue';
      }
      const now = this.#deps.clock.now();
      const since = state.portalUnreachableSinceMs || now;
      state.portalUnreachableSinceMs = since;
      if (now - since >= (this.#deps.portalUnreachableMs ?? 30_000)) {
        log.warn(
          { err },
          'the portal stayed unreachable; giving it up (unstored outputs are lost)',
        );
        return 'continue';
      }
      log.info({ err }, 'the portal is unreachable; trying again');
      return { restartAfterMs: 1_000 };
    }
  }

  async destroyChannels(executionId: string): Promise<void> {
    await this.#deps.neighbours.channels.destroyAllChannels(executionId);
  }

  async releasePortalVm(executionId: string): Promise<void> {
    const { portalVmId, sessionId } = await this.#load(executionId);
    const { allocator } = this.#deps.neighbours;
    if (portalVmId !== undefined) await allocator.free(portalVmId).catch(ignoreGone);
    if (sessionId !== undefined) await allocator.deleteSession(sessionId).catch(ignoreGone);
  }

  async markCompleted(executionId: string): Promise<void> {
    await this.#deps.executions.setStatus(executionId, 'COMPLETED');
    this.#deps.log.info({ executionId }, 'execution finished');
  }
}

export const FINISH_WORKFLOW_KIND = 'finish-workflow';
/** AbortWorkflow, a new start of the workflow, a failed start, the execution reaper. */
export const ABORT_EXECUTION_KIND = 'abort-execution';

function steps(
  teardown: ExecutionTeardown,
  mode: 'finish' | 'stop',
  response: PackedMessage,
  defaultReason: string,
): OperationStep<TeardownState>[] {
  return [
    {
      name: 'stop-graphs',
      run: async ({ state }) => {
        await teardown.stopGraphs(state.executionId, state.reason || defaultReason);
        return 'continue';
      },
    },
    {
      // The stored step name of Finish's portal step; keep it for operations in flight.
      name: mode === 'finish' ? 'finish-portal' : 'stop-portal',
      run: ({ state }) => teardown.portalStep(state, mode),
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
  ];
}

/**
 * FinishWorkflow's background work as a durable operation (public-api §8): resumed after a
 * restart at its first unfinished step; completes with `response`.
 */
export function finishWorkflowKind(
  teardown: ExecutionTeardown,
  response: PackedMessage,
): OperationKind<TeardownState> {
  return {
    name: FINISH_WORKFLOW_KIND,
    steps: steps(teardown, 'finish', response, 'Workflow finished'),
  };
}

/**
 * The teardown of an execution ended at once (portal Stop, no draining), as a durable operation:
 * a crash mid-way resumes it, so nothing it holds leaks.
 */
export function abortExecutionKind(
  teardown: ExecutionTeardown,
  response: PackedMessage,
): OperationKind<TeardownState> {
  return {
    name: ABORT_EXECUTION_KIND,
    steps: steps(teardown, 'stop', response, 'Workflow aborted'),
  };
}
