import type { lzyWorkflowService } from '@lzy/proto';

type GraphStatusResponse = lzyWorkflowService.GraphStatusResponse;

/** The four states a graph shows to its user (public-api.md GraphStatusResponse). */
export type GraphStatusName = 'waiting' | 'executing' | 'completed' | 'failed';

/** An unset oneof counts as executing, as pylzy assumes. */
export function graphStatusName(response: GraphStatusResponse): GraphStatusName {
  return response.status?.$case ?? 'executing';
}

/** completed and failed never change again: `status --watch` stops there. */
export function isTerminalGraphStatus(response: GraphStatusResponse): boolean {
  const name = graphStatusName(response);
  return name === 'completed' || name === 'failed';
}

/**
 * The status of one graph as text:
 * ```
 * graph <id>: executing
 *   completed: <task ids>
 *   executing: <task ids>
 * ```
 * failed adds its description (the failing op's stderr tail), indented.
 */
export function renderGraphStatus(graphId: string, response: GraphStatusResponse): string {
  const status = response.status;
  const lines = [`graph ${graphId}: ${graphStatusName(response)}`];
  if (status === undefined || status.$case === 'executing') {
    const executing = status?.value;
    lines.push(`  completed: ${listOf(executing?.operationsCompleted ?? [])}`);
    lines.push(`  executing: ${listOf(executing?.operationsExecuting ?? [])}`);
    if (executing !== undefined && executing.message !== '') {
      lines.push(`  message: ${executing.message}`);
    }
  } else if (status.$case === 'failed') {
    const description = status.value.description.trimEnd();
    if (description !== '') lines.push(...description.split('\n').map((line) => `  ${line}`));
  }
  return lines.join('\n') + '\n';
}

function listOf(ids: readonly string[]): string {
  return ids.length === 0 ? '-' : ids.join(', ');
}
