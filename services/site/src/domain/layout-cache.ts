import { layoutGraph } from './graph-layout.ts';
import type { GraphLayout } from './graph-layout.ts';
import type { Graph } from './ports.ts';

const MAX_ENTRIES = 200;

/**
 * Layouts of graphs by (execution, graph, op count): a submitted graph never changes, so each is
 * laid out once (a 1,000-op graph stays off the request path after its first view).
 */
export class LayoutCache {
  readonly #layouts = new Map<string, GraphLayout>();

  layoutOf(executionId: string, graph: Graph): GraphLayout {
    const key = `${executionId}\n${graph.graphId}\n${graph.ops.length}`;
    const cached = this.#layouts.get(key);
    if (cached !== undefined) {
      // Map order is insertion order: re-insert to keep recently used entries last.
      this.#layouts.delete(key);
      this.#layouts.set(key, cached);
      return cached;
    }
    const layout = layoutGraph(graph.ops);
    this.#layouts.set(key, layout);
    if (this.#layouts.size > MAX_ENTRIES) {
      const oldest = this.#layouts.keys().next().value;
      if (oldest !== undefined) this.#layouts.delete(oldest);
    }
    return layout;
  }
}
