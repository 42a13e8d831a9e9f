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

/** Counts a stream's bytes as they arrive. */
export const countStream = op(
  import.meta.url,
  'countStream',
  async (data: Readable) => {
    let length = 0;
    for await (const chunk of data) length += (chunk as Buffer).length;
    return length;
  },
  { pool: 's' },
);
