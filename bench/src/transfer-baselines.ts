/**
 * Byte-moving baselines of the op → op benchmarks: what this machine does with the same bytes
 * and nothing of LZY. (op-to-op.ts keeps its own copies until its rewrite on another branch lands;
 * then it should import these.)
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { timed } from './report.ts';

const MiB = 1024 * 1024;

/** MiB/s of `sizeBytes` in 1 MiB writes through a 127.0.0.1 TCP connection to a counting server. */
export async function loopbackMiBs(sizeBytes: number): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const received = new Promise<void>((resolve) =>
      server.once('connection', (socket) => {
        socket.on('data', () => undefined);
        socket.on('end', () => resolve());
      }),
    );
    const chunk = Buffer.alloc(MiB, 1);
    const ms = await timed(async () => {
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      for (let left = sizeBytes; left > 0; left -= MiB) {
        if (!socket.write(left >= MiB ? chunk : chunk.subarray(0, left)))
          await new Promise<void>((resolve) => socket.once('drain', resolve));
      }
      socket.end();
      await received;
    });
    return sizeBytes / MiB / (ms / 1000);
  } finally {
    server.close();
  }
}

/** MiB/s of a stream copy of a `sizeBytes` file to another file (fsync'd), written first. */
export async function diskCopyMiBs(sizeBytes: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'lzy-bench-copy-'));
  try {
    const from = join(dir, 'a');
    const chunk = Buffer.alloc(MiB, 2);
    await pipeline(
      (function* () {
        for (let left = sizeBytes; left > 0; left -= MiB)
          yield left >= MiB ? chunk : chunk.subarray(0, left);
      })(),
      createWriteStream(from),
    );
    const ms = await timed(() =>
      pipeline(createReadStream(from), createWriteStream(join(dir, 'b'), { flush: true })),
    );
    return sizeBytes / MiB / (ms / 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
