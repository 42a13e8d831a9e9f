import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * `sizeBytes` of reproducible pseudo-random bytes (xorshift32), produced chunk by chunk so the
 * whole object never exists in memory. `sha256()` is the digest of everything emitted so far.
 */
export function deterministicStream(
  sizeBytes: number,
  chunkBytes = 64 * 1024,
): { stream: Readable; sha256(): string } {
  const hash = createHash('sha256');
  let state = 0x9e3779b9;
  function* generate(): Generator<Buffer> {
    for (let offset = 0; offset < sizeBytes; offset += chunkBytes) {
      const length = Math.min(chunkBytes, sizeBytes - offset);
      const words = new Uint32Array(Math.ceil(length / 4));
      for (let i = 0; i < words.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state >>> 0;
      }
      const chunk = Buffer.from(words.buffer, 0, length);
      hash.update(chunk);
      yield chunk;
    }
  }
  return { stream: Readable.from(generate()), sha256: () => hash.copy().digest('hex') };
}

/** sha256 (hex) and length of everything `stream` yields, consumed chunk by chunk. */
export async function hashStream(stream: Readable): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    sizeBytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

/**
 * V8 frees dead Buffers lazily: it lets ~64 MB of garbage ArrayBuffers pile up before a GC, so
 * RSS alone cannot tell buffering from garbage. Collecting before each sample makes the peak
 * measure what is actually retained. `--expose-gc` at runtime, as vitest's workers lack it.
 */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;
  // A minor GC (scavenge) frees young dead ArrayBuffers; a full GC every 20 ms costs 5x the run.
  return () => gc({ type: 'minor' });
}

/**
 * Samples process RSS every `intervalMs` (collecting garbage first) until `stop()`, which
 * returns the peak growth over the RSS at the start, in bytes.
 */
export function sampleRssGrowth(intervalMs = 20): { stop(): number } {
  const gc = exposeGc();
  gc();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    gc();
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      gc();
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak - baseline;
    },
  };
}
