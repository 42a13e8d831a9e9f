import type { lzyWorkflowService } from '@lzy/proto';

export type OpState = 'waiting' | 'running' | 'done' | 'failed';

/** The state of every op of one graph, sent to `onProgress` whenever one changes. */
export interface ProgressEvent {
  graphId: string;
  ops: { callId: string; name: string; state: OpState }[];
}

/**
 * Op states from a GraphStatus answer. lzy-service names task `<graphId>-<index>` with index the
 * position of the operation in the ExecuteGraph request, so `calls[index]` is that task's call.
 * On failure the ops that were running are marked failed (the answer does not say which one).
 */
export function progressOf(
  graphId: string,
  calls: readonly { callId: string; name: string }[],
  status: lzyWorkflowService.GraphStatusResponse,
  previous: ProgressEvent | undefined,
): ProgressEvent {
  // Task ids → call indices once per answer: looking each call up in the id lists cost
  // O(calls × ids), 4 s of CPU per poll for a graph of 10,000 ops.
  const indicesOf = (taskIds: readonly string[]) =>
    new Set(taskIds.map((taskId) => Number(taskId.slice(graphId.length + 1))));
  const s = status.status;
  const completed = s?.$case === 'executing' ? indicesOf(s.value.operationsCompleted) : undefined;
  const executing = s?.$case === 'executing' ? indicesOf(s.value.operationsExecuting) : undefined;
  const stateOf = (index: number): OpState => {
    switch (s?.$case) {
      case 'completed':
        return 'done';
      case 'failed': {
        const before = previous?.ops[index]?.state;
        return before === 'done' ? 'done' : before === 'running' ? 'failed' : 'waiting';
      }
      case 'executing': {
        if (completed?.has(index) === true) return 'done';
        if (executing?.has(index) === true) return 'running';
        return 'waiting';
      }
      case 'waiting':
      case undefined:
        return 'waiting';
    }
  };
  return {
    graphId,
    ops: calls.map((call, index) => ({
      callId: call.callId,
      name: call.name,
      state: stateOf(index),
    })),
  };
}

export function sameProgress(a: ProgressEvent | undefined, b: ProgressEvent): boolean {
  return a !== undefined && a.ops.every((op, i) => op.state === b.ops[i]?.state);
}

const MARKS: Record<OpState, string> = { waiting: '·', running: '▶', done: '✓', failed: '✗' };

/** Draws one line per op on a terminal, redrawing the same lines on every event. */
export class TtyProgress {
  readonly #out: NodeJS.WritableStream;
  #graphId = '';
  #lines = 0;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  render(event: ProgressEvent): void {
    const up = event.graphId === this.#graphId && this.#lines > 0 ? `\x1b[${this.#lines}A` : '';
    const lines = event.ops.map(
      (op) => `\x1b[2K${MARKS[op.state]} ${op.name} ${op.state} (${op.callId.slice(0, 8)})\n`,
    );
    this.#out.write(up + lines.join(''));
    this.#graphId = event.graphId;
    this.#lines = lines.length;
  }
}
