/**
 * The SDK's network-facing entry points, loaded on first use. A worker imports the user's op
 * module (and so this package) once per op call: importing grpc-js, the generated stubs and the
 * AWS SDK up front cost ~0.9 s of every op's start (measured by bench/src/warm-op.ts); `op()`
 * needs none of them.
 */
import type {
  QueryOptions,
  StoredWhiteboard,
  WhiteboardInfo,
  WhiteboardQuery,
} from './whiteboard-query.ts';
import type { Workflow, WorkflowOptions } from './workflow.ts';

/** See workflow.ts#workflow. */
export async function workflow<T>(
  name: string,
  fn: (wf: Workflow) => Promise<T>,
  options: WorkflowOptions = {},
): Promise<T> {
  const module = await import('./workflow.ts');
  return module.workflow(name, fn, options);
}

/** See whiteboard-query.ts#whiteboards. */
export async function whiteboards(
  query: WhiteboardQuery = {},
  options: QueryOptions = {},
): Promise<WhiteboardInfo[]> {
  const module = await import('./whiteboard-query.ts');
  return module.whiteboards(query, options);
}

/** See whiteboard-query.ts#whiteboard. */
export async function whiteboard(
  id: string,
  options: QueryOptions = {},
): Promise<StoredWhiteboard> {
  const module = await import('./whiteboard-query.ts');
  return module.whiteboard(id, options);
}
