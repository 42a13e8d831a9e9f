import { TextDecoder } from 'node:util';
import { FailedPrecondition } from '@lzy/errors';
import { ChangeNotifier } from './change-notifier.ts';

export type StdStreamName = 'STDOUT' | 'STDERR';

/** One message of the aggregated std output (portal.proto ReadStdResponse). */
export interface StdEntry {
  /** 1, 2, 3…; a gap seen by a reader means entries were dropped from the bounded buffer. */
  seq: number;
  taskId: string;
  stream: StdStreamName;
  text: string;
}

/** Longest partial line kept back waiting for its newline (bytes of text). */
const MAX_PENDING_CHARS = 64 * 1024;

/**
 * The execution's stdout/stderr in arrival order (reference §8.3, pushed by workers' WriteStd
 * instead of LZY's std channels). Bounded by `maxBytes`: the oldest entries go first. Readers
 * replay what is retained from their `fromSeq`, then follow live until close() and the end.
 */
export class StdLog {
  readonly #maxBytes: number;
  readonly #entries: StdEntry[] = [];
  readonly #changes = new ChangeNotifier();
  #head = 0; // index of the first retained entry in #entries
  #bytes = 0;
  #nextSeq = 1;
  #closed = false;
  #writers = 0;

  constructor(opts: { maxBytes: number }) {
    this.#maxBytes = opts.maxBytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Number of WriteStd streams still open. */
  get openWriters(): number {
    return this.#writers;
  }

  /**
   * A writer for one WriteStd stream: decodes UTF-8 across chunk boundaries and appends whole
   * lines (a partial line waits for its newline, or for end()).
   * @throws FailedPrecondition once the log is closed.
   */
  openWriter(): StdWriter {
    this.#checkOpen();
    this.#writers++;
    this.#changes.notify();
    const pending = new Map<string, { decoder: TextDecoder; text: string }>();
    let ended = false;
    return {
      write: (taskId, stream, data) => {
        this.#checkOpen();
        const key = `${stream}\u0000${taskId}`;
        let p = pending.get(key);
        if (p === undefined) pending.set(key, (p = { decoder: new TextDecoder(), text: '' }));
        p.text += p.decoder.decode(data, { stream: true });
        const cut =
          p.text.length > MAX_PENDING_CHARS ? p.text.length : p.text.lastIndexOf('\n') + 1;
        if (cut > 0) {
          this.#append(taskId, stream, p.text.slice(0, cut));
          p.text = p.text.slice(cut);
        }
      },
      end: () => {
        if (ended) return;
        ended = true;
        for (const [key, p] of pending) {
          const rest = p.text + p.decoder.decode();
          const [stream, taskId] = key.split('\u0000') as [StdStreamName, string];
          if (rest !== '' && !this.#closed) this.#append(taskId, stream, rest);
        }
        this.#writers--;
        this.#changes.notify();
      },
    };
  }

  /**
   * Entries from `fromSeq` (0 or anything older than retained: the oldest retained), then live
   * ones; returns after close() once the reader has everything.
   */
  async *read(fromSeq: number, signal: AbortSignal): AsyncGenerator<StdEntry> {
    let next = fromSeq;
    for (;;) {
      const batch = this.#retainedFrom(next);
      const closed = this.#closed;
      const wake = closed ? undefined : this.#changes.wait(signal);
      wake?.catch(() => undefined);
      for (const entry of batch) {
        yield entry;
        next = entry.seq + 1;
      }
      if (closed && this.#retainedFrom(next).length === 0) return;
      if (wake !== undefined) await wake;
    }
  }

  /** Resolves when no WriteStd stream is open; rejects when `signal` aborts. */
  async waitWritersDone(signal: AbortSignal): Promise<void> {
    while (this.#writers > 0) await this.#changes.wait(signal);
  }

  /** Ends every reader (after it has the rest) and refuses new writes. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#changes.notify();
  }

  #checkOpen(): void {
    if (this.#closed)
      throw new FailedPrecondition('the portal is finished: it accepts no more std output');
  }

  #append(taskId: string, stream: StdStreamName, text: string): void {
    this.#entries.push({ seq: this.#nextSeq++, taskId, stream, text });
    this.#bytes += text.length;
    while (this.#bytes > this.#maxBytes && this.#head < this.#entries.length - 1) {
      this.#bytes -= this.#entries[this.#head]?.text.length ?? 0;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
    this.#changes.notify();
  }

  #retainedFrom(seq: number): StdEntry[] {
    const first = this.#entries[this.#head];
    if (first === undefined) return [];
    const start = this.#head + Math.max(0, seq - first.seq);
    return this.#entries.slice(start);
  }
}

/** Appends the chunks of one WriteStd stream; end() flushes partial lines. */
export interface StdWriter {
  write(taskId: string, stream: StdStreamName, data: Uint8Array): void;
  end(): void;
}
