/**
 * @lzy/cli — the `lzy` command (bin: src/main.ts). `runCli(argv, io)` runs one command line
 * in-process against the given streams and environment and returns its exit code; main.ts is
 * only the process around it.
 */
export { runCli } from './run-cli.ts';
export type { CliIo, TextSink } from './cli-io.ts';
