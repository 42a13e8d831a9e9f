/**
 * @lzy/sdk — LZY workflows in TypeScript.
 *
 * ```ts
 * export const square = op(import.meta.url, 'square', async (x: number) => x * x, { pool: 's' });
 * if (import.meta.main) {
 *   await workflow('squares', async (wf) => console.log(await square(3)));
 * }
 * ```
 * Ops are exported functions of a module (the worker imports the module and calls the export);
 * inside `workflow()` their calls are lazy results run as graphs on the LZY services; arguments
 * and results (JSON or Buffer/Uint8Array) travel through the execution's storage, never through
 * gRPC messages. See README.md for the configuration and the assumptions of the local suite.
 */
export { loadClientConfig } from './config.ts';
export type { ClientConfig, Env } from './config.ts';
export { op } from './op.ts';
export type { LzyOp, OpArgs, OpOptions } from './op.ts';
export { LzyResult } from './lzy-result.ts';
export { workflow, whiteboard, whiteboards } from './entry-points.ts';
export type { Workflow, WorkflowOptions } from './workflow.ts';
export { LzyExecutionError } from './execution-error.ts';
export type { OpState, ProgressEvent } from './progress.ts';
export type { StdSink } from './std-relay.ts';
export type { Whiteboard, WhiteboardOptions } from './whiteboard.ts';
export type {
  QueryOptions,
  StoredWhiteboard,
  WhiteboardInfo,
  WhiteboardQuery,
} from './whiteboard-query.ts';
