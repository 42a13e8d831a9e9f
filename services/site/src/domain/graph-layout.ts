import dagreModule from '@dagrejs/dagre';
import type { Op } from './ports.ts';

/**
 * The part of dagre used here. Its bundled .d.ts imports its own files without extensions,
 * which NodeNext resolution cannot follow, so the module's type is unknown to us: typed here.
 */
interface DagreGraph {
  setGraph(label: Record<string, number | string>): void;
  setDefaultEdgeLabel(label: () => object): void;
  setNode(id: string, label: { width: number; height: number }): void;
  setEdge(from: string, to: string): void;
  node(id: string): { x: number; y: number };
  graph(): { width?: number; height?: number };
}
const dagre = dagreModule as unknown as {
  graphlib: { Graph: new () => DagreGraph };
  layout(graph: DagreGraph): void;
};

export const NODE_WIDTH_PX = 180;
export const NODE_HEIGHT_PX = 44;

export interface GraphLayout {
  positions: Map<string, { x: number; y: number }>;
  edges: Array<{ from: string; to: string }>;
  width: number;
  height: number;
}

/**
 * The graph's edges: an op that writes a channel precedes every op that reads it (the same rule
 * graph-executor runs by). Duplicates (several data items between two ops) are merged.
 */
export function edgesOf(ops: readonly Op[]): Array<{ from: string; to: string }> {
  const producers = new Map<string, string[]>();
  for (const op of ops) {
    for (const slot of op.outputs) {
      if (slot.channelId === '') continue;
      producers.set(slot.channelId, [...(producers.get(slot.channelId) ?? []), op.taskId]);
    }
  }
  const edges = new Map<string, { from: string; to: string }>();
  for (const op of ops) {
    for (const slot of op.inputs) {
      for (const from of producers.get(slot.channelId) ?? []) {
        if (from !== op.taskId) edges.set(`${from}\n${op.taskId}`, { from, to: op.taskId });
      }
    }
  }
  return [...edges.values()];
}

/** Above this many ops dagre's crossing minimisation costs ~0.7 s (1,000 ops): see layoutGraph. */
export const DAGRE_MAX_OPS = 300;
const GAP_X_PX = 24;
const GAP_Y_PX = 56;
const MAX_ROW_OPS = 40;

/**
 * Lays the graph out top to bottom (layered: producers above consumers). Done on the server once
 * per graph (a graph never changes after submission), so the page does not lay itself out.
 * Up to DAGRE_MAX_OPS ops: dagre. Bigger graphs (wide fan-outs of SDK calls): longest-path
 * layers in submission order, wrapped into rows of MAX_ROW_OPS, linear in the graph's size.
 */
export function layoutGraph(ops: readonly Op[]): GraphLayout {
  const edges = edgesOf(ops);
  return ops.length <= DAGRE_MAX_OPS ? dagreLayout(ops, edges) : rowLayout(ops, edges);
}

function dagreLayout(ops: readonly Op[], edges: GraphLayout['edges']): GraphLayout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 56, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const op of ops) g.setNode(op.taskId, { width: NODE_WIDTH_PX, height: NODE_HEIGHT_PX });
  for (const edge of edges) g.setEdge(edge.from, edge.to);
  dagre.layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  for (const op of ops) {
    const node = g.node(op.taskId);
    // dagre gives centres; the page places boxes by their top-left corner.
    positions.set(op.taskId, {
      x: Math.round(node.x - NODE_WIDTH_PX / 2),
      y: Math.round(node.y - NODE_HEIGHT_PX / 2),
    });
  }
  const graph = g.graph();
  return { positions, edges, width: graph.width ?? 0, height: graph.height ?? 0 };
}

function rowLayout(ops: readonly Op[], edges: GraphLayout['edges']): GraphLayout {
  const parents = new Map<string, string[]>();
  for (const edge of edges) parents.set(edge.to, [...(parents.get(edge.to) ?? []), edge.from]);
  const layerOf = new Map<string, number>();
  const visiting = new Set<string>();
  const layer = (taskId: string): number => {
    const known = layerOf.get(taskId);
    if (known !== undefined) return known;
    if (visiting.has(taskId)) return 0; // a cycle cannot be submitted; stay total anyway
    visiting.add(taskId);
    const value = Math.max(-1, ...(parents.get(taskId) ?? []).map(layer)) + 1;
    visiting.delete(taskId);
    layerOf.set(taskId, value);
    return value;
  };
  const layers: string[][] = [];
  for (const op of ops) (layers[layer(op.taskId)] ??= []).push(op.taskId);
  const positions = new Map<string, { x: number; y: number }>();
  const widest = Math.min(MAX_ROW_OPS, Math.max(...layers.map((l) => l?.length ?? 0)));
  const width = widest * (NODE_WIDTH_PX + GAP_X_PX) - GAP_X_PX;
  let y = 16;
  for (const members of layers) {
    if (members === undefined) continue;
    for (let start = 0; start < members.length; start += MAX_ROW_OPS) {
      const row = members.slice(start, start + MAX_ROW_OPS);
      const rowWidth = row.length * (NODE_WIDTH_PX + GAP_X_PX) - GAP_X_PX;
      let x = 16 + Math.round((width - rowWidth) / 2);
      for (const taskId of row) {
        positions.set(taskId, { x, y });
        x += NODE_WIDTH_PX + GAP_X_PX;
      }
      y += NODE_HEIGHT_PX + GAP_X_PX;
    }
    y += GAP_Y_PX - GAP_X_PX;
  }
  return { positions, edges, width: width + 32, height: y + 16 };
}
