import { Unavailable } from '@lzy/errors';
import type { ExecutionActivity } from './execution-activity.ts';
import type { GraphTracker } from './graph-tracker.ts';
import { userStatusOf } from './graph-view.ts';
import type { UserGraphStatus } from './graph-view.ts';
import type { Graphs } from './graphs.ts';

export interface GraphWatchDeps {
  /** GraphStatus's answer: its checks, its activity count, its resume of an unfollowed graph. */
  graphs: Pick<Graphs, 'status'>;
  tracker: Pick<GraphTracker, 'subscribe' | 'view'>;
  activity: Pick<ExecutionActivity, 'openStream'>;
}

/**
 * WatchGraph (our extension beside GraphStatus): the graph's user status pushed as the tracker
 * changes it, so the SDKs need no polling. Each status is what GraphStatus would answer at that
 * moment; a burst of changes is read once (the latest status), and a status equal to the one
 * sent before is not sent again.
 */
export class GraphWatch {
  readonly #deps: GraphWatchDeps;
  readonly #stopping = new AbortController();

  constructor(deps: GraphWatchDeps) {
    this.#deps = deps;
  }

  /**
   * The current status at once, then one per change; returns after a final one (completed or
   * failed) or when `signal` aborts. While it is open the execution counts as active (execution
   * reaper), as with ReadStdSlots.
   * @throws as GraphStatus: InvalidArgument (malformed ids), NotFound (another user's or an ended
   *   execution, an unknown graph), also once the execution is torn down while watched;
   *   Unavailable when lzy-service stops (the client opens the stream again).
   */
  async *watch(
    userId: string,
    executionId: string,
    graphId: string,
    signal: AbortSignal,
  ): AsyncGenerator<UserGraphStatus, void, undefined> {
    const stopping = this.#stopping.signal;
    if (stopping.aborted) throw stoppingError();
    const { graphs, tracker, activity } = this.#deps;
    const changes = tracker.subscribe(executionId, graphId); // before reading: no change missed
    try {
      let status = await graphs.status(userId, executionId, graphId);
      const closeStream = activity.openStream(executionId);
      try {
        const woken = AbortSignal.any([signal, stopping]);
        let sent: string | undefined;
        for (;;) {
          const key = JSON.stringify(status);
          if (key !== sent) yield status;
          sent = key;
          if (status.kind === 'completed' || status.kind === 'failed') return;
          if (!(await changes.next(woken))) break;
          const view = tracker.view(executionId, graphId);
          // No view: the execution was torn down (GraphStatus's NOT_FOUND) or the graph is not
          // followed (yet): ask as GraphStatus does.
          status =
            view === undefined
              ? await graphs.status(userId, executionId, graphId)
              : userStatusOf(view);
        }
      } finally {
        closeStream();
      }
      if (!signal.aborted) throw stoppingError();
    } finally {
      changes.close();
    }
  }

  /** Ends open watches with UNAVAILABLE and refuses new ones (lzy-service stops). Idempotent. */
  stop(): void {
    this.#stopping.abort();
  }
}

function stoppingError(): Unavailable {
  return new Unavailable('lzy-service is stopping; open the WatchGraph stream again');
}
