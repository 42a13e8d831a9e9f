import { setTimeout as delay } from 'node:timers/promises';
import { ChangeEvents } from '@lzy/events';
import type { ChangeSubscription } from '@lzy/events';
import type { Logger } from '@lzy/logging';
import type { GraphStore } from '../db/graph-store.ts';
import { applyExecutorUpdate, initialView, isFinal, userStatusOf } from './graph-view.ts';
import type { GraphView } from './graph-view.ts';
import type { AllocatorPort, GraphsPort, PortalPort } from './ports.ts';

export interface GraphTrackerDeps {
  graphs: GraphsPort;
  portal: PortalPort;
  /** Whose WatchVm tells when an execution's portal VM dies. */
  allocator: Pick<AllocatorPort, 'watchVm'>;
  store: GraphStore;
  log: Logger;
  /** Pause before re-opening a broken stream. Default 1 000 ms. */
  retryDelayMs?: number;
}

interface Tracked {
  executionId: string;
  graphId: string;
  view: GraphView;
  /** When this instance started following it (for the completion log line). */
  startedMs: number;
  /** Its end was logged and stored. */
  logged: boolean;
  abort: AbortController;
  saving: Promise<void>;
  done: Promise<void>;
}

/** The watch on one execution's portal VM, shared by its graphs being followed. */
interface PortalWatch {
  vmId: string;
  graphs: number;
  abort: AbortController;
}

/**
 * Follows graphs by push: graph-executor WatchGraph (a full message, then deltas) and the
 * portal's WatchSlots for the graph's output snapshots. The view lives in memory (GraphStatus
 * answers from it) and is written to the `graph` row once, when it is final (completed or
 * failed): a restarted service follows an unfinished graph again, both streams starting with
 * the current state. Every change of a view is signalled per graph (`subscribe`), which is how
 * WatchGraph pushes it to the SDKs.
 */
export class GraphTracker {
  readonly #deps: GraphTrackerDeps;
  readonly #tracked = new Map<string, Tracked>();
  readonly #portals = new Map<string, PortalWatch>();
  readonly #events = new ChangeEvents();
  /** executionId → keys of its graphs with a subscriber, so forget() wakes them all. */
  readonly #subscribed = new Map<string, Map<string, number>>();

  constructor(deps: GraphTrackerDeps) {
    this.#deps = deps;
  }

  /** Starts following the graph unless it already is. */
  track(request: {
    executionId: string;
    graphId: string;
    portalAddress: string;
    /** The portal's VM: when it dies, the graph fails saying so (not when undefined). */
    portalVmId?: string | undefined;
    outputSlots: string[];
    view?: GraphView | undefined;
  }): GraphView {
    const key = keyOf(request.executionId, request.graphId);
    const existing = this.#tracked.get(key);
    if (existing !== undefined) return existing.view;
    const entry: Tracked = {
      executionId: request.executionId,
      graphId: request.graphId,
      view: request.view ?? initialView(request.outputSlots),
      startedMs: Date.now(),
      logged: false,
      abort: new AbortController(),
      saving: Promise.resolve(),
      done: Promise.resolve(),
    };
    this.#tracked.set(key, entry);
    this.#events.notify(key); // a subscriber that found no view yet reads this one
    if (!isFinal(entry.view)) {
      const portalVm = request.portalVmId;
      if (portalVm !== undefined) this.#watchPortalVm(request.executionId, portalVm);
      entry.done = Promise.all([
        this.#follow(entry, 'graph-executor', () => this.#watchExecutor(entry)),
        this.#follow(entry, 'portal', () => this.#watchSlots(entry, request)),
      ]).then(() => {
        if (portalVm !== undefined) this.#unwatchPortalVm(request.executionId);
      });
    }
    return entry.view;
  }

  /** Starts (or joins) the watch on the execution's portal VM. */
  #watchPortalVm(executionId: string, vmId: string): void {
    const existing = this.#portals.get(executionId);
    if (existing !== undefined) {
      existing.graphs += 1;
      return;
    }
    const watch: PortalWatch = { vmId, graphs: 1, abort: new AbortController() };
    this.#portals.set(executionId, watch);
    const { signal } = watch.abort;
    const log = this.#deps.log.child({ executionId, portalVmId: vmId });
    void (async () => {
      while (!signal.aborted) {
        try {
          for await (const life of this.#deps.allocator.watchVm(vmId, signal)) {
            if (!life.gone) continue;
            this.#portalLost(executionId, vmId, life.reason);
            return;
          }
        } catch (err) {
          if (signal.aborted) return;
          log.warn({ err }, 'portal VM watch broke; re-opening');
        }
        await delay(this.#deps.retryDelayMs ?? 1_000, undefined, { signal }).catch(() => undefined);
      }
    })();
  }

  #unwatchPortalVm(executionId: string): void {
    const watch = this.#portals.get(executionId);
    if (watch === undefined || --watch.graphs > 0) return;
    watch.abort.abort();
    this.#portals.delete(executionId);
  }

  /** Fails every unfinished graph of the execution: its portal, which stores results, is gone. */
  #portalLost(executionId: string, vmId: string, reason: string): void {
    const failure =
      `The portal of this execution (VM ${vmId}) died: ${reason}. ` +
      'Results not stored yet are lost; run the workflow again.';
    this.#deps.log.warn({ executionId, portalVmId: vmId, reason }, 'portal VM died');
    for (const entry of this.#tracked.values()) {
      if (entry.executionId !== executionId || isFinal(entry.view)) continue;
      entry.view.failure = failure;
      this.#changed(entry);
      entry.abort.abort();
      this.#deps.graphs.stop(executionId, entry.graphId, failure).catch((err: unknown) => {
        this.#deps.log.warn({ err, graphId: entry.graphId }, 'cannot stop the graph');
      });
    }
  }

  /** The in-memory view, if this instance follows the graph. */
  view(executionId: string, graphId: string): GraphView | undefined {
    return this.#tracked.get(keyOf(executionId, graphId))?.view;
  }

  /**
   * Signals every change of the graph's view from now on, whether this instance follows the graph
   * yet or not: its start (`track`), each update, and forget() of its execution (after which
   * view() is undefined). Subscribe before reading view(), so no change is missed; changes made
   * while the subscriber was busy coalesce into one signal. Close the subscription when done.
   */
  subscribe(executionId: string, graphId: string): ChangeSubscription {
    const key = keyOf(executionId, graphId);
    const subscription = this.#events.subscribe(key);
    const keys = this.#subscribed.get(executionId) ?? new Map<string, number>();
    this.#subscribed.set(executionId, keys);
    keys.set(key, (keys.get(key) ?? 0) + 1);
    let closed = false;
    return {
      next: (signal) => subscription.next(signal),
      close: () => {
        if (closed) return;
        closed = true;
        subscription.close();
        const left = (keys.get(key) ?? 1) - 1;
        if (left > 0) keys.set(key, left);
        else keys.delete(key);
        if (keys.size === 0 && this.#subscribed.get(executionId) === keys) {
          this.#subscribed.delete(executionId);
        }
      },
    };
  }

  /** Stops following every graph of the execution (it is being torn down). */
  forget(executionId: string): void {
    this.#portals.get(executionId)?.abort.abort();
    this.#portals.delete(executionId);
    for (const [key, entry] of this.#tracked) {
      if (entry.executionId !== executionId) continue;
      entry.abort.abort();
      this.#tracked.delete(key);
      this.#events.notify(key);
    }
    for (const key of this.#subscribed.get(executionId)?.keys() ?? []) this.#events.notify(key);
  }

  /** Stops following every graph; subscribers' next() resolves false from now on. */
  async stop(): Promise<void> {
    this.#events.close();
    const entries = [...this.#tracked.values()];
    this.#tracked.clear();
    for (const watch of this.#portals.values()) watch.abort.abort();
    this.#portals.clear();
    for (const entry of entries) entry.abort.abort();
    await Promise.allSettled(entries.flatMap((e) => [e.done, e.saving]));
  }

  async #watchExecutor(entry: Tracked): Promise<boolean> {
    const stream = this.#deps.graphs.watch(entry.executionId, entry.graphId, entry.abort.signal);
    for await (const update of stream) {
      applyExecutorUpdate(entry.view, update);
      this.#changed(entry);
    }
    const state = entry.view.executor?.state;
    return state === 'COMPLETED' || state === 'FAILED';
  }

  async #watchSlots(entry: Tracked, request: { portalAddress: string }): Promise<boolean> {
    const names = Object.keys(entry.view.slots);
    if (names.length === 0) return true;
    const { portal } = this.#deps;
    for await (const update of portal.watchSlots(
      request.portalAddress,
      names,
      entry.abort.signal,
    )) {
      if (!(update.slotName in entry.view.slots)) continue;
      entry.view.slots[update.slotName] = update.state;
      this.#changed(entry);
    }
    return Object.values(entry.view.slots).every((state) => state !== 'PENDING');
  }

  /** Runs a watch until it reports its part final or the graph is forgotten; re-opens on errors. */
  async #follow(entry: Tracked, source: string, watch: () => Promise<boolean>): Promise<void> {
    const { signal } = entry.abort;
    const log = this.#deps.log.child({ graphId: entry.graphId, source });
    while (!signal.aborted && !isFinal(entry.view)) {
      try {
        if (await watch()) return;
      } catch (err) {
        if (signal.aborted) return;
        log.warn({ err }, 'status stream broke; re-opening');
      }
      await delay(this.#deps.retryDelayMs ?? 1_000, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Signals the change; stores the view once it is final (and logs the graph's end). */
  #changed(entry: Tracked): void {
    this.#events.notify(keyOf(entry.executionId, entry.graphId));
    if (entry.logged || !this.#logIfFinal(entry)) return;
    entry.logged = true;
    const snapshot = structuredClone(entry.view);
    entry.saving = entry.saving
      .then(() => this.#deps.store.saveView(entry.executionId, entry.graphId, snapshot))
      .catch((err: unknown) => {
        this.#deps.log.warn({ err, graphId: entry.graphId }, 'cannot save graph status');
      });
  }

  /** Logs the end of the graph; false while it is not final. */
  #logIfFinal(entry: Tracked): boolean {
    const status = userStatusOf(entry.view);
    const fields = {
      executionId: entry.executionId,
      graphId: entry.graphId,
      durationMs: Date.now() - entry.startedMs,
    };
    if (status.kind === 'completed') this.#deps.log.info(fields, 'graph completed');
    else if (status.kind === 'failed')
      this.#deps.log.info({ ...fields, description: status.description }, 'graph failed');
    else return false;
    return true;
  }
}

function keyOf(executionId: string, graphId: string): string {
  return `${executionId}\n${graphId}`;
}
