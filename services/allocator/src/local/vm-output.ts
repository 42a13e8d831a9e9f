import { open } from 'node:fs/promises';
import { join } from 'node:path';

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

/** The last `count` lines of `<logDir>/<vmId>.log`, readable (readableLine); [] if unreadable. */
export async function logFileTail(logDir: string, vmId: string, count: number): Promise<string[]> {
  try {
    const file = await open(join(logDir, `${vmId}.log`), 'r');
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
