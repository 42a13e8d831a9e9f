import { NotFound } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import type { MonitorStore } from '../db/monitor-store.ts';
import type {
  ExecutionDetail,
  ExecutionFilter,
  ExecutionPage,
  ExecutionSummary,
  MonitoredOp,
  RecordedSlot,
} from './monitor-model.ts';

/** Where change notifications come from (NotificationListener over pg LISTEN implements it). */
export interface ChangeSource {
  /** Calls `handler` with each execution id that changed. Returns unsubscribe. */
  listen(channel: string, handler: (executionId: string) => void): Promise<() => void>;
}

interface Watcher {
  userId: string | undefined;
  pending: Map<string, ExecutionSummary>;
  wake: (() => void) | undefined;
}

/**
 * The execution monitor (lzy.internal.monitor.v1): summaries and graph structure for the site,
 * and a push of execution changes. Changes arrive as execution ids (pg_notify from triggers);
 * one pump reads each changed execution's summary once, however many notifications came while
 * it was reading, and hands it to the watchers of that user.
 */
export class ExecutionMonitor {
  readonly #store: MonitorStore;
  readonly #changes: ChangeSource;
  readonly #channel: string;
  readonly #log: Logger;
  readonly #watchers = new Set<Watcher>();
  readonly #dirty = new Set<string>();
  #pumping = false;
  #unlisten: (() => void) | undefined;

  constructor(deps: { store: MonitorStore; changes: ChangeSource; channel: string; log: Logger }) {
    this.#store = deps.store;
    this.#changes = deps.changes;
    this.#channel = deps.channel;
    this.#log = deps.log;
  }

  /** Starts listening for changes (the database must be reachable). */
  async start(): Promise<void> {
    this.#unlisten ??= await this.#changes.listen(this.#channel, (id) => this.#changed(id));
  }

  /** Stops listening and ends every watch. Idempotent. */
  stop(): void {
    this.#unlisten?.();
    this.#unlisten = undefined;
    for (const watcher of this.#watchers) watcher.wake?.();
    this.#watchers.clear();
  }

  list(filter: ExecutionFilter, pageSize: number, pageToken: string): Promise<ExecutionPage> {
    return this.#store.list(filter, pageSize, pageToken);
  }

  /**
   * The execution with its graphs; each op's slots carry their storage URIs.
   * @throws NotFound if unknown, or if `userId` is given and is not the owner
   */
  async get(executionId: string, userId: string | undefined): Promise<ExecutionDetail> {
    const summary = await this.#store.summary(executionId);
    if (summary === undefined || (userId !== undefined && summary.userId !== userId)) {
      throw new NotFound(`execution ${executionId} not found`);
    }
    const [graphs, uris, portalAddress] = await Promise.all([
      this.#store.graphs(executionId),
      this.#store.channelUris(executionId),
      this.#store.portalAddress(executionId),
    ]);
    const withUri = (slot: RecordedSlot) => ({
      ...slot,
      storageUri: uris.get(slot.channelId) ?? '',
    });
    return {
      summary,
      portalAddress:
        summary.status === 'RUNNING' || summary.status === 'COMPLETING' ? portalAddress : '',
      graphs: graphs.map((graph) => ({
        ...graph,
        ops: graph.ops.map((op): MonitoredOp => ({
          ...op,
          inputs: op.inputs.map(withUri),
          outputs: op.outputs.map(withUri),
        })),
      })),
    };
  }

  /** Summaries of `userId`'s executions (every user's if undefined) as they change. */
  async *watch(
    userId: string | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<ExecutionSummary, void, undefined> {
    const watcher: Watcher = { userId, pending: new Map(), wake: undefined };
    this.#watchers.add(watcher);
    const onAbort = () => watcher.wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted && this.#watchers.has(watcher)) {
        if (watcher.pending.size === 0) {
          await new Promise<void>((resolve) => (watcher.wake = resolve));
          watcher.wake = undefined;
          continue;
        }
        const batch = [...watcher.pending.values()];
        watcher.pending.clear();
        for (const summary of batch) yield summary;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#watchers.delete(watcher);
    }
  }

  #changed(executionId: string): void {
    if (this.#watchers.size === 0) return;
    this.#dirty.add(executionId);
    if (!this.#pumping) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#dirty.size > 0 && this.#watchers.size > 0) {
        const ids = [...this.#dirty];
        this.#dirty.clear();
        for (const id of ids) {
          const summary = await this.#store.summary(id).catch((err: unknown) => {
            this.#log.warn({ err, executionId: id }, 'execution monitor: cannot read a summary');
            return undefined;
          });
          if (summary !== undefined) this.#deliver(summary);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  #deliver(summary: ExecutionSummary): void {
    for (const watcher of this.#watchers) {
      if (watcher.userId !== undefined && watcher.userId !== summary.userId) continue;
      watcher.pending.set(summary.executionId, summary);
      watcher.wake?.();
    }
  }
}
