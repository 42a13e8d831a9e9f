import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '@lzy/logging';

/** How much of a VM log file's end is read for the report of an unexpected exit. */
const TAIL_BYTES = 8192;

/** A VM's JSON log line as `level: msg: error` (what a user can read); other lines as they are. */
export function readableLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const record = JSON.parse(line) as {
      level?: unknown;
      msg?: unknown;
      err?: { message?: unknown };
    };
    if (typeof record.msg !== 'string') return line;
    const err = typeof record.err?.message === 'string' ? `: ${record.err.message}` : '';
    const level = typeof record.level === 'string' ? `${record.level}: ` : '';
    return `${level}${record.msg}${err}`;
  } catch {
    return line;
  }
}

/** The last `count` lines of the log file `path`, readable (readableLine); [] if unreadable. */
export async function logFileTail(path: string, count: number): Promise<string[]> {
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await file.read(buffer, 0, length, size - length);
      const lines = buffer.toString('utf8').split('\n');
      if (size > length) lines.shift(); // a partial first line
      return lines
        .filter((line) => line !== '')
        .slice(-count)
        .map(readableLine);
    } finally {
      await file.close();
    }
  } catch {
    return [];
  }
}

/** Lines of a VM's output kept for the report of an unexpected exit. */
export const LAST_LINES = 20;

/**
 * The piped output of a VM process (no log dir): each line goes to our log at debug level under
 * the process's current name (a standby's changes to its VM id at hand-over), the last
 * LAST_LINES are kept for the report of an unexpected exit.
 */
export class PipedOutput {
  readonly lastLines: string[] = [];
  /** What the lines are logged as (`vmId`). */
  name: string;
  readonly #log: Logger;

  constructor(log: Logger, name: string) {
    this.#log = log;
    this.name = name;
  }

  attach(stream: 'stdout' | 'stderr', readable: Readable): void {
    const lines = createInterface({ input: readable, crlfDelay: Infinity });
    lines.on('line', (line) => {
      this.lastLines.push(readableLine(line));
      if (this.lastLines.length > LAST_LINES) this.lastLines.shift();
      this.#log.debug({ vmId: this.name, stream, line }, 'vm output');
    });
  }
}
