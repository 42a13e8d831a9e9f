/**
 * Ops the benchmarks run on workers (the worker imports this module, so it starts nothing).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { op } from '@lzy/sdk';

/** The no-op of a chain: its input plus one (a result must flow op → op). */
export const inc = op(import.meta.url, 'inc', (x: number) => x + 1, { pool: 's' });

export const sum = op(import.meta.url, 'sum', (...xs: number[]) => xs.reduce((a, b) => a + b, 0), {
  pool: 's',
});

/** `sizeBytes` of deterministic bytes as one Buffer. */
export const produce = op(
  import.meta.url,
  'produce',
  (sizeBytes: number) => {
    const data = Buffer.allocUnsafe(sizeBytes);
    for (let i = 0; i < sizeBytes; i += 4096) data[i] = i & 0xff;
    return data;
  },
  { pool: 's' },
);

export const digest = op(
  import.meta.url,
  'digest',
  (data: Buffer) => ({
    length: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  }),
  { pool: 's' },
);

/** `sizeBytes` of bytes as a stream of 1 MiB chunks (one chunk reused: generation is ~free). */
export const produceStream = op(
  import.meta.url,
  'produceStream',
  (sizeBytes: number) => {
    const chunk = Buffer.alloc(1024 * 1024, 0x5a);
    return Readable.from(
      (function* () {
        for (let left = sizeBytes; left > 0; left -= chunk.length) {
          yield left >= chunk.length ? chunk : chunk.subarray(0, left);
        }
      })(),
    );
  },
  { pool: 's' },
);

async function countBytes(data: Readable): Promise<number> {
  let length = 0;
  for await (const chunk of data) length += (chunk as Buffer).length;
  return length;
}

/** Counts a stream's bytes as they arrive (same pool as the producer: usually its VM). */
export const countStream = op(import.meta.url, 'countStream', countBytes, { pool: 's' });

/** countStream on a VM of pool `m`: its input comes from the producer's VM over ReadSlot. */
export const countStreamOnOtherVm = op(import.meta.url, 'countStreamOnOtherVm', countBytes, {
  pool: 'm',
});

/**
 * Chunk `i` (up to 1 MiB) of numberedStream: byte 0x5a everywhere but the chunk's index in its
 * first 6 bytes (fewer in a shorter chunk), so a lost, repeated or reordered chunk changes the
 * digest.
 */
export function numberedChunk(i: number, sizeBytes: number): Buffer {
  const chunk = Buffer.alloc(sizeBytes, 0x5a);
  const indexBytes = Math.min(6, sizeBytes);
  if (indexBytes > 0) chunk.writeUIntLE(i % 2 ** (8 * indexBytes), 0, indexBytes);
  return chunk;
}

/** `sizeBytes` as a stream of numbered 1 MiB chunks (numberedChunk). */
export const produceNumberedStream = op(
  import.meta.url,
  'produceNumberedStream',
  (sizeBytes: number) => {
    const MiB = 1024 * 1024;
    return Readable.from(
      (function* () {
        for (let i = 0; i * MiB < sizeBytes; i++)
          yield numberedChunk(i, Math.min(MiB, sizeBytes - i * MiB));
      })(),
    );
  },
  { pool: 's' },
);

/** Length and sha256 of a stream, on a VM of pool `m` (the producer's VM is in `s`). */
export const digestStreamOnOtherVm = op(
  import.meta.url,
  'digestStreamOnOtherVm',
  async (data: Readable) => {
    const hash = createHash('sha256');
    let length = 0;
    for await (const chunk of data) {
      hash.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    return { length, sha256: hash.digest('hex') };
  },
  { pool: 'm' },
);
