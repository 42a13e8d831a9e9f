/**
 * @lzy/tasks — task and graph states, one definition for every service (issue 11: "task state
 * is one concept in one module"). Domain code uses the string states; the proto enums are
 * translated at the gRPC edge with the *ToProto / *FromProto functions.
 */
export {
  DEFAULT_MAX_ATTEMPTS,
  GRAPH_STATES,
  RC_ENVIRONMENT_ERROR,
  RC_INTERNAL_ERROR,
  TASK_STATES,
  TERMINAL_TASK_STATES,
  canMoveTask,
  isTerminalGraphState,
  isTerminalTaskState,
  taskFailureDescription,
} from './task-state.ts';
export type { GraphState, TaskNeeds, TaskState, TaskStatus } from './task-state.ts';
export {
  graphStateFromProto,
  graphStateToProto,
  needsFromProto,
  needsToProto,
  taskStateFromProto,
  taskStateToProto,
  taskStatusFromProto,
  taskStatusToProto,
} from './task-state-proto.ts';
