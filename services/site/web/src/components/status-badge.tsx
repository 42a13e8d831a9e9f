import type { ExecutionSummaryDto } from '../../../src/api/types.ts';

/** The status a user reads: an execution with a failed graph is failed, however it ended. */
export function displayStatus(s: ExecutionSummaryDto): string {
  return s.graphsFailed > 0 ? 'FAILED' : s.status;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status.toLowerCase()}</span>;
}
