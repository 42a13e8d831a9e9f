import { connect } from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectivityState } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { implement, startGrpcServer } from '@lzy/grpc';
import { EchoService, rawEchoClient } from './echo-service.ts';
import { rawEcho, silentLog } from './helpers.ts';

/** Pings every `intervalMs` on a raw HTTP/2 session; resolves with ACK times and any GOAWAY seen. */
async function pingRepeatedly(port: number, count: number, intervalMs: number) {
  const session = connect(`http://127.0.0.1:${port}`);
  const goaways: number[] = [];
  session.on('goaway', (code: number) => goaways.push(code));
  session.on('error', () => {}); // surfaced through goaways/ack failures below
  const ackMs: number[] = [];
  try {
    await new Promise((resolve) => session.once('connect', resolve));
    for (let i = 0; i < count; i += 1) {
      ackMs.push(
        await new Promise<number>((resolve, reject) => {
          session.ping((err, duration) => (err ? reject(err) : resolve(duration)));
        }),
      );
      await sleep(intervalMs);
    }
  } finally {
    session.close();
  }
  return { ackMs, goaways };
}

describe('keepalive', () => {
  // A timing property (public-api.md §5): pylzy pings every 1 s, also with no call in flight.
  it('tolerates pylzy-style pings every second on an idle channel and keeps serving', async () => {
    const server = await startGrpcServer({
      name: 'keepalive-test',
      port: 0,
      log: silentLog,
      services: [
        implement(
          EchoService,
          {
            echo: (req) => Promise.resolve(req),
            repeat: 'unimplemented',
            join: 'unimplemented',
            chat: 'unimplemented',
          },
          { auth: 'none' },
        ),
      ],
    });
    const client = rawEchoClient(server.port, {
      'grpc.keepalive_time_ms': 1000,
      'grpc.keepalive_timeout_ms': 1000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    try {
      await expect(rawEcho(client, { text: 'first' })).resolves.toMatchObject({ error: null });
      const channel = client.getChannel();
      const states: connectivityState[] = [];
      const watch = (current: connectivityState) =>
        channel.watchConnectivityState(current, Infinity, () => {
          const next = channel.getConnectivityState(false);
          states.push(next);
          if (next !== connectivityState.SHUTDOWN) watch(next);
        });
      watch(channel.getConnectivityState(false));

      // Meanwhile a raw HTTP/2 peer pings twice as often, to see every ACK and any GOAWAY.
      const { ackMs, goaways } = await pingRepeatedly(server.port, 7, 500);

      expect(goaways).toEqual([]);
      expect(Math.max(...ackMs)).toBeLessThan(1000);
      expect(states).toEqual([]); // the pinging grpc channel never left READY
      await expect(rawEcho(client, { text: 'after idle' })).resolves.toMatchObject({
        error: null,
        response: { text: 'after idle' },
      });
    } finally {
      client.close();
      await server.stop();
    }
  });
});
