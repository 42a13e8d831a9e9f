import { UsageError, describeFailure } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { parseCommandLine } from './command-line.ts';
import type { CommandLine } from './command-line.ts';
import { runAddUser } from './commands/add-user.ts';
import { runLogs } from './commands/logs.ts';
import { runProgram } from './commands/run.ts';
import { runStatus } from './commands/status.ts';
import { runUp } from './commands/up.ts';
import { runWhiteboards } from './commands/whiteboards.ts';
import { COMMAND_USAGE, TOP_USAGE } from './usage.ts';

/**
 * Runs one `lzy` command line (without node and the script) and returns the exit code:
 * 0 success, 1 failure (one line `lzy: <CODE>: <message>` on stderr), 2 bad command line
 * (message and usage on stderr); `run` returns its program's code. Never throws.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let line: CommandLine;
  try {
    line = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`lzy: ${err.message}\n\n${err.usage}`);
    return 2;
  }
  try {
    return await dispatch(line, io);
  } catch (err) {
    io.stderr.write(`lzy: ${describeFailure(err)}\n`);
    return 1;
  }
}

function dispatch(line: CommandLine, io: CliIo): Promise<number> {
  switch (line.command) {
    case 'help':
      io.stdout.write(line.topic === undefined ? TOP_USAGE : COMMAND_USAGE[line.topic]);
      return Promise.resolve(0);
    case 'up':
      return runUp(io);
    case 'run':
      return runProgram(line, io);
    case 'status':
      return runStatus(line, io);
    case 'logs':
      return runLogs(line, io);
    case 'whiteboards':
      return runWhiteboards(line, io);
    case 'add-user':
      return runAddUser(line, io);
  }
}
