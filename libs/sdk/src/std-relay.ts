import { setTimeout as delay } from 'node:timers/promises';
import { Unavailable } from '@lzy/errors';
import { serverStream } from '@lzy/grpc';
import type { LzyClients } from './lzy-clients.ts';
import { reconnectDelayMs } from './reconnect.ts';

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
 * A stream broken by an LZY restart is opened again (clients.reconnect); the server replays the
 * output from its start (the portal keeps it), so the chunks relayed already are skipped.
 */
export async function relayStd(
  clients: LzyClients,
  executionId: string,
  sink: StdSink,
  signal: AbortSignal,
): Promise<void> {
  const { workflows } = clients;
  let relayed = 0;
  let outageSinceMs: number | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      let replayed = 0;
      for await (const message of serverStream(
        workflows.readStdSlots.bind(workflows),
        { executionId },
        { signal },
      )) {
        outageSinceMs = undefined;
        attempt = 0;
        if (replayed < relayed) {
          replayed += 1;
          continue;
        }
        relayed += 1;
        replayed += 1;
        const data = message.data;
        if (data === undefined) continue;
        for (const text of data.value.data) sink[data.$case](text);
      }
      return;
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof Unavailable)) throw err;
      outageSinceMs ??= Date.now();
      const waitMs = reconnectDelayMs(clients.reconnect, attempt);
      if (Date.now() + waitMs - outageSinceMs > clients.reconnect.timeoutMs) throw err;
      await delay(waitMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
