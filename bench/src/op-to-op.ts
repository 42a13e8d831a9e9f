/**
 * Op → op bandwidth: `produceStream(S)` → `countStream` (S = BENCH_BYTES, default 256 MiB) on
 * warm workers; the consumer reads from the producer while the portal writes the S3 copy, and
 * the graph completes only when that copy is SYNCED. Ours = S / (T(S) − T(1 byte)): the fixed
 * cost of two ops is taken out. Baselines (same run, same bytes): loopback TCP in this process
 * and a local disk file copy (stream read + write).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { workflow } from '@lzy/sdk';
import { startBenchSuite } from './bench-suite.ts';
import type { BenchSuite } from './bench-suite.ts';
import { countStream, produceStream } from './ops.ts';
import { printLine, timed } from './report.ts';

const quiet = { stdout: () => undefined, stderr: () => undefined };
const MiB = 1024 * 1024;

export async function benchOpToOp(
  suite: BenchSuite,
  sizeBytes = Number(process.env.BENCH_BYTES ?? 256 * MiB),
): Promise<void> {
  let bigMs = 0;
  let smallMs = 0;
  await workflow(
    'bench-op-to-op',
    async () => {
      await countStream(produceStream(1)); // warms two workers
      smallMs = await timed(async () => {
        if ((await countStream(produceStream(1))) !== 1) throw new Error('wrong length');
      });
      bigMs = await timed(async () => {
        if ((await countStream(produceStream(sizeBytes))) !== sizeBytes)
          throw new Error('wrong length');
      });
    },
    { config: suite.config, std: quiet },
  );
  const ours = sizeBytes / MiB / ((bigMs - smallMs) / 1000);
  const line = { unit: 'MiB/s', higherIsBetter: true, target: 600 };
  const name = `op→op ${sizeBytes / MiB} MiB (S3 copy written)`;
  printLine({
    name,
    ours,
    baseline: await loopbackMiBs(sizeBytes),
    baselineName: 'loopback TCP',
    ...line,
  });
  printLine({
    name,
    ours,
    baseline: await diskCopyMiBs(sizeBytes),
    baselineName: 'disk file copy',
    ...line,
  });
}

/** `sizeBytes` in 1 MiB writes through a 127.0.0.1 TCP connection to a counting server. */
async function loopbackMiBs(sizeBytes: number): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const received = new Promise<void>((resolve) =>
      server.once('connection', (socket) => {
        let count = 0;
        socket.on('data', (d: Buffer) => (count += d.length));
        socket.on('end', () => (count === sizeBytes ? resolve() : resolve()));
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

/** Writes a file of `sizeBytes`, then times a stream copy of it to another file (fsync'd). */
async function diskCopyMiBs(sizeBytes: number): Promise<number> {
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

if (import.meta.main) {
  const suite = await startBenchSuite();
  try {
    await benchOpToOp(suite);
  } finally {
    await suite.stop();
  }
}
