/**
 * What `pnpm start` shows on the terminal in the human log format: the suite's own summary lines
 * plus one short line per workflow event and per problem, picked from the services' JSON log
 * records (the full records go to the log file). Pure: `progressLine` maps one record to a line.
 */

/** One pino record as the services write it (only the fields the console reads). */
export interface LogRecord {
  /** pino's label (`info`, `warn`, …; our loggers write labels) or number. */
  level?: string | number;
  service?: string;
  msg?: string;
  err?: { message?: string };
  [field: string]: unknown;
}

const WARN = 40;
const LEVELS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

function levelOf(record: LogRecord): number {
  if (typeof record.level === 'number') return record.level;
  return LEVELS[record.level ?? ''] ?? 0;
}

function short(id: unknown): string {
  return typeof id === 'string' ? id.slice(0, 8) : '?';
}

function seconds(ms: unknown): string {
  return typeof ms === 'number' ? `${(ms / 1000).toFixed(1)} s` : '?';
}

/** The progress line of a workflow event, or undefined for records the terminal skips. */
function workflowEvent(record: LogRecord): string | undefined {
  if (record.service !== 'lzy-service') return undefined;
  const wf = typeof record.workflowName === 'string' ? record.workflowName : undefined;
  switch (record.msg) {
    case 'execution started':
      return `workflow ${wf ?? '?'}: execution ${short(record.executionId)} started`;
    case 'graph submitted':
      return `  graph ${short(record.graphId)}: ${String(record.tasks)} ops submitted`;
    case 'graph completed':
      return `  graph ${short(record.graphId)}: completed in ${seconds(record.durationMs)}`;
    case 'graph failed':
      return `  graph ${short(record.graphId)}: failed: ${firstLine(record.description)}`;
    case 'execution finished':
      return `execution ${short(record.executionId)} finished`;
    case undefined:
    default:
      return undefined;
  }
}

function firstLine(text: unknown): string {
  const line = typeof text === 'string' ? (text.split('\n')[0] ?? '') : '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** The terminal line of one record (workflow events, warnings and errors), else undefined. */
export function progressLine(record: LogRecord): string | undefined {
  const event = workflowEvent(record);
  if (event !== undefined) return event;
  const level = levelOf(record);
  if (level < WARN) return undefined;
  const label = level >= 50 ? 'error' : 'warn ';
  const cause = record.err?.message === undefined ? '' : `: ${firstLine(record.err.message)}`;
  return `${label} ${record.service ?? '?'}: ${record.msg ?? ''}${cause}`;
}

/**
 * Turns a stream of JSON log lines into terminal lines. A warning or error of the same service
 * and message is shown at most `maxRepeats` times, then once more as a note that the rest go to
 * the log file only, so a fan-out of failing tasks does not flood the terminal.
 */
export class ProgressPrinter {
  readonly #write: (line: string) => void;
  readonly #maxRepeats: number;
  readonly #seen = new Map<string, number>();
  readonly #logPath: string;

  constructor(options: { write: (line: string) => void; logPath: string; maxRepeats?: number }) {
    this.#write = options.write;
    this.#logPath = options.logPath;
    this.#maxRepeats = options.maxRepeats ?? 3;
  }

  /** Takes one or more JSON lines (pino writes one record per call). */
  write(chunk: string): void {
    for (const text of chunk.split('\n')) {
      if (text.trim() === '') continue;
      let record: LogRecord;
      try {
        record = JSON.parse(text) as LogRecord;
      } catch {
        continue;
      }
      this.#print(record);
    }
  }

  #print(record: LogRecord): void {
    const line = progressLine(record);
    if (line === undefined) return;
    if (levelOf(record) >= WARN && workflowEvent(record) === undefined) {
      const key = `${record.service ?? ''}\n${record.msg ?? ''}`;
      const count = (this.#seen.get(key) ?? 0) + 1;
      this.#seen.set(key, count);
      if (count > this.#maxRepeats + 1) return;
      if (count === this.#maxRepeats + 1) {
        this.#write(`${line.split(':')[0] ?? ''}: more "${record.msg ?? ''}" in ${this.#logPath}`);
        return;
      }
    }
    this.#write(line);
  }
}
