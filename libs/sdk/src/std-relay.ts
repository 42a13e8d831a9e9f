import { serverStream } from '@lzy/grpc';
import type { LzyClients } from './lzy-clients.ts';

/** Where op output goes on the client. */
export interface StdSink {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const PROCESS_STD_SINK: StdSink = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Relays the execution's op output (ReadStdSlots) to `sink` as it arrives, verbatim: the public
 * API does not say which op wrote a chunk. Resolves when the server ends the stream (after
 * FinishWorkflow) or `signal` aborts; a stream error after the abort is expected and ignored.
 */
export async function relayStd(
  clients: LzyClients,
  executionId: string,
  sink: StdSink,
  signal: AbortSignal,
): Promise<void> {
  const { workflows } = clients;
  try {
    for await (const message of serverStream(
      workflows.readStdSlots.bind(workflows),
      { executionId },
      { signal },
    )) {
      const data = message.data;
      if (data === undefined) continue;
      for (const text of data.value.data) sink[data.$case](text);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}
