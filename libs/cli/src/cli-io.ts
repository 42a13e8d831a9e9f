import type { Env } from '@lzy/config';

/** Where a text sink writes: process.stdout in the binary, a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
  /** True when it is a terminal: `status --watch` then redraws in place. */
  isTTY?: boolean;
}

/**
 * Everything a command may touch of its process, so tests run the CLI in-process (STYLE.md §6):
 * the environment (only main.ts reads process.env), the output streams, and the stop signal.
 */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: Env;
  /** Aborted on SIGINT/SIGTERM; the reason is the signal name (`'SIGINT'`). */
  signal: AbortSignal;
  /** Relative paths (`--config`, the program of `lzy run`) resolve against it. */
  cwd: string;
  /** The user's home directory: default `$LZY_HOME` is `<homeDir>/.lzy`. */
  homeDir: string;
  /**
   * How `lzy run` connects the program's stdout/stderr: `inherit` (the binary: the program sees
   * the terminal and can draw its progress display) or `pipe` into stdout/stderr above (tests).
   */
  childStdio: 'inherit' | 'pipe';
}
