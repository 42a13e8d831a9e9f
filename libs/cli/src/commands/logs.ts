import { serverStream } from '@lzy/grpc';
import type { CliIo } from '../cli-io.ts';
import { openPublicApi } from '../public-api.ts';
import { exitCodeOfSignal } from '../signal-exit-code.ts';

/**
 * `lzy logs <executionId>`: ReadStdSlots printed as it arrives, op stdout to stdout and op stderr
 * to stderr, verbatim (as pylzy does). Returns 0 when the server ends the stream (the execution
 * finished and every line was delivered), 128+n when stopped by a signal.
 */
export async function runLogs(
  args: { config?: string; executionId: string },
  io: CliIo,
): Promise<number> {
  const api = await openPublicApi(args.config, io);
  try {
    const messages = serverStream(
      api.workflows.readStdSlots.bind(api.workflows),
      { executionId: args.executionId },
      { signal: io.signal },
    );
    for await (const message of messages) {
      const data = message.data;
      if (data === undefined) continue;
      const text = data.value.data.join('');
      if (data.$case === 'stdout') io.stdout.write(text);
      else io.stderr.write(text);
    }
    return 0;
  } catch (err) {
    if (io.signal.aborted) return exitCodeOfSignal(io.signal.reason);
    throw err;
  } finally {
    api.close();
  }
}
