/**
 * Big data op → op: `produce` returns 256 MiB of deterministic bytes as a Buffer; `measure`
 * receives it (worker → worker, persisted to S3 by the portal) and returns its length and
 * sha256. Prints both. Nothing of the 256 MiB passes through a gRPC message of the public API.
 *
 * Run after `lzy up` (pnpm start): node examples/ts/big-data.ts
 */
import { createHash } from 'node:crypto';
import { op, workflow } from '../../libs/sdk/src/index.ts';

const SIZE_BYTES = 256 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;

/** Byte i of the data is (i * 31 + (i >> 20)) & 0xff: cheap, deterministic, not constant. */
export const produce = op(
  import.meta.url,
  'produce',
  (sizeBytes: number) => {
    const data = Buffer.allocUnsafe(sizeBytes);
    for (let start = 0; start < sizeBytes; start += CHUNK_BYTES) {
      const end = Math.min(start + CHUNK_BYTES, sizeBytes);
      for (let i = start; i < end; i++) data[i] = (i * 31 + (i >> 20)) & 0xff;
    }
    return data;
  },
  { pool: 's' },
);

export const measure = op(
  import.meta.url,
  'measure',
  (data: Buffer) => ({
    length: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  }),
  { pool: 's' },
);

if (import.meta.main) {
  const started = Date.now();
  const { length, sha256 } = await workflow(
    'big-data',
    async () => await measure(produce(SIZE_BYTES)),
  );
  console.log(`length ${length}`);
  console.log(`sha256 ${sha256}`);
  console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
