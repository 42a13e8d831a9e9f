import { makeInformer } from '@kubernetes/client-node';
import type { Informer, ObjectCache, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@lzy/logging';
import type { KubeCluster } from './kube-client.ts';
import { NODE_LABEL, VM_SELECTOR } from './kube-names.ts';

/** What a cluster's watches push. */
export interface ClusterWatchHandlers {
  /** A VM pod appeared or changed (also once per pod at every (re-)list). */
  podChanged(pod: V1Pod): void;
  /** A VM pod is gone (seen by the watch or missing from a re-list). */
  podDeleted(pod: V1Pod): void;
  /** A pool node is gone. */
  nodeDeleted(node: V1Node): void;
}

const MIN_RESTART_MS = 500;
const MAX_RESTART_MS = 30_000;

/**
 * Informers (list, then watch from the list's resourceVersion; the client re-lists on 410 Gone)
 * over the VM pods of one namespace and over the pool nodes of one cluster. Any other watch
 * error restarts the informer with exponential backoff (capped, never reset: a flapping API
 * server is not hammered), and the re-list reports what changed
 * meanwhile (a deletion missed while disconnected arrives as podDeleted).
 */
export class ClusterWatch {
  readonly #pods: Informer<V1Pod> & ObjectCache<V1Pod>;
  readonly #nodes: Informer<V1Node> & ObjectCache<V1Node>;
  readonly #log: Logger;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(deps: {
    cluster: KubeCluster;
    namespace: string;
    handlers: ClusterWatchHandlers;
    log: Logger;
  }) {
    const { cluster, namespace, handlers } = deps;
    this.#log = deps.log;
    this.#pods = makeInformer<V1Pod>(
      cluster.config,
      `/api/v1/namespaces/${namespace}/pods`,
      () => cluster.core.listNamespacedPod({ namespace, labelSelector: VM_SELECTOR }),
      VM_SELECTOR,
    );
    this.#nodes = makeInformer<V1Node>(
      cluster.config,
      '/api/v1/nodes',
      () => cluster.core.listNode({ labelSelector: NODE_LABEL.pool }),
      NODE_LABEL.pool,
    );
    this.#pods.on('add', (pod) => handlers.podChanged(pod));
    this.#pods.on('update', (pod) => handlers.podChanged(pod));
    this.#pods.on('delete', (pod) => handlers.podDeleted(pod));
    this.#nodes.on('delete', (node) => handlers.nodeDeleted(node));
    this.#restartOnError(this.#pods, 'pods');
    this.#restartOnError(this.#nodes, 'nodes');
  }

  #restartOnError(informer: Informer<V1Pod> | Informer<V1Node>, what: string): void {
    let delayMs = MIN_RESTART_MS;
    informer.on('error', (err: unknown) => {
      if (this.#stopped) return;
      this.#log.warn({ err, what, delayMs }, 'kubernetes watch failed; restarting');
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!this.#stopped) void informer.start();
      }, delayMs);
      this.#timers.add(timer);
      delayMs = Math.min(MAX_RESTART_MS, delayMs * 2);
    });
  }

  /** Lists and starts watching; resolves after the first list of both. */
  async start(): Promise<void> {
    this.#stopped = false;
    await Promise.all([this.#pods.start(), this.#nodes.start()]);
  }

  /** VM pods as last seen. */
  pods(): readonly V1Pod[] {
    return this.#pods.list();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all([this.#pods.stop(), this.#nodes.stop()]);
  }
}
