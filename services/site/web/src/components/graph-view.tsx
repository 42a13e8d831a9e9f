import { Background, Controls, ReactFlow } from '@xyflow/react';
import type { Edge, Node, ReactFlowInstance, Viewport } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { GraphDto, OpStatusDto } from '../../../src/api/types.ts';

/** The op box size the server lays out with (services/site/src/domain/graph-layout.ts). */
const NODE_WIDTH_PX = 180;
const NODE_HEIGHT_PX = 44;
/** Below this zoom op names are unreadable: a bigger graph opens on its first rows at zoom 1. */
const MIN_READABLE_ZOOM = 0.6;

/** Fill and border of an op box by state; the state is also written in the box (not colour alone). */
export const STATE_COLOURS: Record<string, { fill: string; border: string }> = {
  WAITING: { fill: '#f1f3f5', border: '#868e96' },
  QUEUED: { fill: '#fff3bf', border: '#e67700' },
  ALLOCATING: { fill: '#ffe8cc', border: '#d9480f' },
  EXECUTING: { fill: '#d0ebff', border: '#1864ab' },
  SUCCEEDED: { fill: '#d3f9d8', border: '#2b8a3e' },
  FAILED: { fill: '#ffe3e3', border: '#c92a2a' },
  STOPPED: { fill: '#e9ecef', border: '#495057' },
};

/**
 * Where the camera starts: the whole graph when it fits at a readable zoom, else its top centre at
 * that zoom. Computed from the server's layout, so React Flow need not measure 1,000 ops first
 * (its fitView does, which cost over a second), and only the visible ops are drawn.
 */
function viewportFor(graph: GraphDto, box: { width: number; height: number }): Viewport {
  const fit = Math.min(1.5, (box.width - 24) / graph.width, (box.height - 24) / graph.height);
  const zoom = fit >= MIN_READABLE_ZOOM ? fit : 1;
  const x = (box.width - graph.width * zoom) / 2;
  const y = fit >= MIN_READABLE_ZOOM ? (box.height - graph.height * zoom) / 2 : 12;
  return { x, y, zoom };
}

/** The graph's ops at the positions the server laid out, coloured by their live state. */
export function GraphView(props: {
  graph: GraphDto;
  ops: ReadonlyMap<string, OpStatusDto>;
  selected: string | undefined;
  onSelect: (taskId: string) => void;
}) {
  const { graph, ops, selected, onSelect } = props;
  const nodes = useMemo<Node[]>(
    () =>
      graph.ops.map((op) => {
        const state = ops.get(op.taskId)?.state ?? 'WAITING';
        const colours = STATE_COLOURS[state] ?? STATE_COLOURS.WAITING!;
        return {
          id: op.taskId,
          position: { x: op.x, y: op.y },
          width: NODE_WIDTH_PX,
          height: NODE_HEIGHT_PX,
          data: {
            label: (
              <span className="op-label" data-state={state}>
                <span className="op-name">{op.name || op.taskId}</span>
                <span className="op-state">{state.toLowerCase()}</span>
              </span>
            ),
          },
          ariaLabel: `Op ${op.name}, ${state.toLowerCase()}`,
          selected: op.taskId === selected,
          draggable: false,
          connectable: false,
          className: `op-node op-${state.toLowerCase()}`,
          style: {
            background: colours.fill,
            borderColor: colours.border,
            borderWidth: op.taskId === selected ? 3 : 1,
            color: '#212529',
          },
        };
      }),
    [graph, ops, selected],
  );
  const edges = useMemo<Edge[]>(
    () =>
      graph.edges.map((e) => ({
        id: `${e.from}>${e.to}`,
        source: e.from,
        target: e.to,
        focusable: false,
      })),
    [graph],
  );
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ width: number; height: number } | undefined>();
  const [flow, setFlow] = useState<ReactFlowInstance | undefined>();
  useLayoutEffect(() => {
    const element = box.current;
    if (element === null) return undefined;
    setSize({ width: element.clientWidth, height: element.clientHeight });
    // Re-frame when the box changes width (the op panel opens or closes).
    let width = element.clientWidth;
    const observer = new ResizeObserver(() => {
      if (element.clientWidth === width) return;
      width = element.clientWidth;
      setSize({ width, height: element.clientHeight });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    if (flow !== undefined && size !== undefined) void flow.setViewport(viewportFor(graph, size));
  }, [flow, size, graph]);
  return (
    <div
      ref={box}
      className="graph"
      style={{ height: Math.min(560, Math.max(260, graph.height + 40)) }}
    >
      {size !== undefined && (
        <ReactFlow
          onInit={setFlow}
          nodes={nodes}
          edges={edges}
          defaultViewport={viewportFor(graph, size)}
          onNodeClick={(_, node) => onSelect(node.id)}
          nodesDraggable={false}
          nodesConnectable={false}
          onlyRenderVisibleElements
          minZoom={0.05}
          proOptions={{ hideAttribution: true }}
        >
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      )}
    </div>
  );
}
