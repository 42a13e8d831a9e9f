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
  const taskIndex = (taskId: string) => Number(taskId.slice(graphId.length + 1));
  const stateOf = (index: number): OpState => {
    const s = status.status;
    switch (s?.$case) {
      case 'completed':
        return 'done';
      case 'failed': {
        const before = previous?.ops[index]?.state;
        return before === 'done' ? 'done' : before === 'running' ? 'failed' : 'waiting';
      }
      case 'executing': {
        if (s.value.operationsCompleted.some((id) => taskIndex(id) === index)) return 'done';
        if (s.value.operationsExecuting.some((id) => taskIndex(id) === index)) return 'running';
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
