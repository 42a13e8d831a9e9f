import type { ExecutionSummaryDto, GraphDto, OpStatusDto, WhiteboardDto } from '../api/types.ts';
import type { GraphLayout } from '../domain/graph-layout.ts';
import type { ExecutionSummary, Graph, OpStatus, Whiteboard } from '../domain/ports.ts';

const iso = (date: Date | undefined): string | undefined => date?.toISOString();

export function summaryDto(s: ExecutionSummary, owner?: string): ExecutionSummaryDto {
  return {
    executionId: s.executionId,
    workflowName: s.workflowName,
    status: s.status,
    finishReason: s.finishReason,
    createdAt: s.createdAt.toISOString(),
    ...(s.finishedAt === undefined ? {} : { finishedAt: s.finishedAt.toISOString() }),
    opCount: s.opCount,
    opsCompleted: s.opsCompleted,
    opsExecuting: s.opsExecuting,
    graphCount: s.graphCount,
    graphsFailed: s.graphsFailed,
    failure: s.failure,
    ...(owner === undefined ? {} : { owner }),
  };
}

export function opStatusDto(s: OpStatus): OpStatusDto {
  return {
    taskId: s.taskId,
    state: s.state,
    rc: s.rc,
    description: s.description,
    vmId: s.vmId,
    updatedAt: iso(s.updatedAt),
    queuedAt: iso(s.queuedAt),
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
  };
}

export function graphDto(graph: Graph, layout: GraphLayout): GraphDto {
  return {
    graphId: graph.graphId,
    createdAt: graph.createdAt.toISOString(),
    state: graph.state,
    description: graph.description,
    ops: graph.ops.map((op) => {
      const position = layout.positions.get(op.taskId) ?? { x: 0, y: 0 };
      return {
        taskId: op.taskId,
        name: op.name,
        description: op.description,
        poolLabel: op.poolLabel,
        zone: op.zone,
        inputs: op.inputs.map((s) => ({ path: s.path, storageUri: s.storageUri })),
        outputs: op.outputs.map((s) => ({ path: s.path, storageUri: s.storageUri })),
        x: position.x,
        y: position.y,
      };
    }),
    edges: layout.edges,
    width: layout.width,
    height: layout.height,
  };
}

export function whiteboardDto(wb: Whiteboard): WhiteboardDto {
  return {
    id: wb.id,
    name: wb.name,
    tags: wb.tags,
    status: wb.status,
    ...(wb.createdAt === undefined ? {} : { createdAt: wb.createdAt.toISOString() }),
    storageUri: wb.storageUri,
    fields: wb.fields,
  };
}
