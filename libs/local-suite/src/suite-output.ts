import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import type { DestinationStream } from 'pino';
import { ProgressPrinter } from './suite-console.ts';

/** Where the suite's services log and what the terminal shows (LZY_LOG_FORMAT). */
export interface SuiteOutput {
  /** Every service's JSON log lines go here. */
  destination: DestinationStream;
  /** The file holding them (human format), or undefined when they go to stdout (json). */
  logPath: string | undefined;
  /** Directory of one `<vmId>.log` per VM process (human format), else undefined. */
  vmLogDir: string | undefined;
  /** Writes a line for the user on the terminal. */
  say(text: string): void;
  /** Flushes the log file. Idempotent. */
  close(): void;
}

/** A log file past this size is moved to `lzy.log.1` at the next start. */
const ROTATE_BYTES = 64 * 1024 * 1024;
/** VM logs older than this are removed at start. */
const VM_LOG_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/**
 * `json`: JSON lines on stdout, as every service writes them when run alone. `human`: JSON lines
 * appended to `<logsDir>/lzy.log` (rotated once past 64 MiB), VM output in `<logsDir>/vms/`, and
 * on the terminal only workflow progress, warnings and errors (ProgressPrinter).
 */
export function openSuiteOutput(options: {
  format: 'human' | 'json';
  logsDir: string;
  terminal: NodeJS.WritableStream;
}): SuiteOutput {
  const say = (text: string) => void options.terminal.write(`${text}\n`);
  if (options.format === 'json') {
    return {
      destination: pino.destination({ dest: 1, sync: true }),
      logPath: undefined,
      vmLogDir: undefined,
      say,
      close: () => undefined,
    };
  }
  const logPath = join(options.logsDir, 'lzy.log');
  const vmLogDir = join(options.logsDir, 'vms');
  mkdirSync(vmLogDir, { recursive: true });
  rotate(logPath);
  removeOldVmLogs(vmLogDir);
  const file = pino.destination({ dest: logPath, sync: false, append: true, mkdir: true });
  const printer = new ProgressPrinter({ write: (line) => say(`  ${line}`), logPath });
  const destination = pino.multistream([
    { level: 'trace', stream: file },
    { level: 'info', stream: { write: (chunk: string) => printer.write(chunk) } },
  ]);
  let closed = false;
  return {
    destination,
    logPath,
    vmLogDir,
    say,
    close: () => {
      if (closed) return;
      closed = true;
      file.flushSync();
    },
  };
}

function rotate(logPath: string): void {
  try {
    if (statSync(logPath).size > ROTATE_BYTES) renameSync(logPath, `${logPath}.1`);
  } catch {
    // no log yet
  }
}

function removeOldVmLogs(dir: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs > VM_LOG_MAX_AGE_MS) rmSync(path, { force: true });
    } catch {
      // gone meanwhile
    }
  }
}
