import { Background, Controls, ReactFlow } from '@xyflow/react';
import type { Edge, Node, ReactFlowInstance } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { GraphDto, OpStatusDto } from '../../../src/api/types.ts';

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
 * The graph's ops at the positions the server laid out, coloured by their live state. Only the
 * visible part is rendered, so a 1,000-op graph stays responsive.
 */
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
            width: 180,
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
  // Fit the graph again when its box changes width (the op panel opens or closes).
  const box = useRef<HTMLDivElement>(null);
  const [flow, setFlow] = useState<ReactFlowInstance | undefined>();
  useEffect(() => {
    const element = box.current;
    if (element === null || flow === undefined) return undefined;
    let width = element.clientWidth;
    const observer = new ResizeObserver(() => {
      if (element.clientWidth === width) return;
      width = element.clientWidth;
      void flow.fitView();
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [flow]);
  return (
    <div
      ref={box}
      className="graph"
      style={{ height: Math.min(560, Math.max(260, graph.height + 40)) }}
    >
      <ReactFlow
        onInit={setFlow}
        nodes={nodes}
        edges={edges}
        onNodeClick={(_, node) => onSelect(node.id)}
        nodesDraggable={false}
        nodesConnectable={false}
        onlyRenderVisibleElements
        fitView
        minZoom={0.05}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
