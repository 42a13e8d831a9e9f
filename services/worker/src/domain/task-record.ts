import { ChangeSignal } from './change-signal.ts';

export type StdStreamName = 'stdout' | 'stderr';

/** One event of WatchExecution, in domain form. */
export type ExecutionEvent =
  | { kind: 'started' }
  | { kind: StdStreamName; offset: number; data: Buffer }
  | { kind: 'finished'; rc: number; description: string };

/** An output of a task that exited 0, served by this worker (worker.proto ExposedOutput). */
export interface ExposedOutput {
  channelId: string;
  slotUri: string;
  sizeBytes: number;
}

/** One event of the scheduler's Dispatch stream (worker.proto DispatchEvent), in domain form. */
export type TaskEvent =
  | { kind: 'started'; taskId: string }
  | { kind: 'exited'; taskId: string; outputs: ExposedOutput[] }
  | { kind: 'done'; taskId: string; rc: number; description: string };

interface StdChunk {
  stream: StdStreamName;
  offset: number;
  data: Buffer;
}

/** How much std output a task keeps for late watchers; older chunks are dropped first. */
const RETAINED_STD_BYTES = 16 * 1024 * 1024;
/** stderr bytes kept for the failure description (its last lines). */
const STDERR_TAIL_BYTES = 16 * 1024;
const STDERR_TAIL_LINES = 20;

/**
 * What happened to one task, for WatchExecution: started, its std chunks (with stream offsets),
 * finished. Live watchers are woken on every change; chunks past RETAINED_STD_BYTES are dropped
 * from the front (a watcher then resumes at the oldest retained byte, as worker.proto says).
 */
export class TaskRecord {
  readonly taskId: string;
  readonly executionId: string;
  readonly operationId: string;
  readonly #changed = new ChangeSignal();
  readonly #onEvent: (event: TaskEvent) => void;
  #started = false;
  #exited: ExposedOutput[] | undefined;
  #finished: { rc: number; description: string } | undefined;
  #chunks: StdChunk[] = [];
  /** Sequence number of #chunks[0]. */
  #firstSeq = 0;
  #retainedBytes = 0;
  #sizes: Record<StdStreamName, number> = { stdout: 0, stderr: 0 };
  #stderrTail: Buffer = Buffer.alloc(0);

  constructor(init: {
    taskId: string;
    executionId: string;
    operationId: string;
    /** Each Dispatch event as it happens (the worker forwards it to the scheduler's stream). */
    onEvent?: (event: TaskEvent) => void;
  }) {
    this.taskId = init.taskId;
    this.executionId = init.executionId;
    this.operationId = init.operationId;
    this.#onEvent = init.onEvent ?? (() => undefined);
  }

  /** The Dispatch events so far, in order (what a reconnected scheduler is told). */
  events(): TaskEvent[] {
    const { taskId } = this;
    return [
      ...(this.#started ? [{ kind: 'started', taskId } as const] : []),
      ...(this.#exited === undefined
        ? []
        : [{ kind: 'exited', taskId, outputs: this.#exited } as const]),
      ...(this.#finished === undefined
        ? []
        : [{ kind: 'done', taskId, ...this.#finished } as const]),
    ];
  }

  /** The command exited 0 and its outputs are served here (bound next). */
  markExited(outputs: ExposedOutput[]): void {
    if (this.#exited !== undefined || this.#finished !== undefined) return;
    this.#exited = outputs;
    this.#onEvent({ kind: 'exited', taskId: this.taskId, outputs });
  }

  /** Drops retained std output (the task is finished and old): only its outcome stays. */
  releaseStd(): void {
    this.#chunks = [];
    this.#retainedBytes = 0;
  }

  get isFinished(): boolean {
    return this.#finished !== undefined;
  }

  get finished(): { rc: number; description: string } | undefined {
    return this.#finished;
  }

  markStarted(): void {
    if (this.#started) return;
    this.#started = true;
    this.#changed.notify();
    this.#onEvent({ kind: 'started', taskId: this.taskId });
  }

  appendStd(stream: StdStreamName, data: Buffer): void {
    if (data.length === 0 || this.#finished !== undefined) return;
    this.#chunks.push({ stream, offset: this.#sizes[stream], data });
    this.#sizes[stream] += data.length;
    this.#retainedBytes += data.length;
    if (stream === 'stderr') {
      const joined = Buffer.concat([this.#stderrTail, data]);
      this.#stderrTail = joined.subarray(Math.max(0, joined.length - STDERR_TAIL_BYTES));
    }
    while (this.#retainedBytes > RETAINED_STD_BYTES && this.#chunks.length > 1) {
      const dropped = this.#chunks.shift();
      this.#retainedBytes -= dropped?.data.length ?? 0;
      this.#firstSeq += 1;
    }
    this.#changed.notify();
  }

  /** The last lines of stderr, for a failed task's description. */
  stderrTail(): string {
    const lines = this.#stderrTail.toString('utf8').replace(/\n$/, '').split('\n');
    return lines.slice(-STDERR_TAIL_LINES).join('\n');
  }

  /** First call wins; later calls are ignored. */
  finish(rc: number, description: string): void {
    if (this.#finished !== undefined) return;
    this.#finished = { rc, description };
    this.#changed.notify();
    this.#onEvent({ kind: 'done', taskId: this.taskId, rc, description });
  }

  /**
   * Replays the task's events from the given std offsets, then follows it live until finished.
   * @throws Cancelled when `signal` aborts
   */
  async *watch(
    offsets: Record<StdStreamName, number>,
    signal: AbortSignal,
  ): AsyncGenerator<ExecutionEvent, void, undefined> {
    let sentStarted = false;
    let seq = 0;
    for (;;) {
      const changed = this.#changed.wait(signal);
      changed.catch(() => undefined);
      if (this.#started && !sentStarted) {
        sentStarted = true;
        yield { kind: 'started' };
      }
      for (;;) {
        seq = Math.max(seq, this.#firstSeq);
        const chunk = this.#chunks[seq - this.#firstSeq];
        if (chunk === undefined) break;
        seq += 1;
        const from = offsets[chunk.stream];
        if (chunk.offset + chunk.data.length <= from) continue;
        const skip = Math.max(0, from - chunk.offset);
        yield { kind: chunk.stream, offset: chunk.offset + skip, data: chunk.data.subarray(skip) };
      }
      if (this.#finished !== undefined) {
        yield { kind: 'finished', ...this.#finished };
        return;
      }
      await changed;
    }
  }
}
