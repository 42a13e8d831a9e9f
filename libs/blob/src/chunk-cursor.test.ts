import { describe, expect, it } from 'vitest';
import { ChunkCursor } from './chunk-cursor.ts';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield await Promise.resolve(Buffer.from(part));
}

describe('ChunkCursor', () => {
  it('fills buffers across chunk boundaries and reports the short last read', async () => {
    const cursor = new ChunkCursor(chunks('abc', 'defgh', 'ij'));
    const buf = Buffer.alloc(4);
    expect(await cursor.readInto(buf)).toBe(4);
    expect(buf.toString()).toBe('abcd');
    expect(await cursor.readInto(buf)).toBe(4);
    expect(buf.toString()).toBe('efgh');
    expect(await cursor.readInto(buf)).toBe(2);
    expect(buf.subarray(0, 2).toString()).toBe('ij');
    expect(await cursor.readInto(buf)).toBe(0);
  });

  it('reads up to a limit into a buffer sized to what it got', async () => {
    const cursor = new ChunkCursor(chunks('abc', 'defgh'));
    expect((await cursor.read(4)).toString()).toBe('abcd');
    const rest = await cursor.read(100);
    expect(rest.toString()).toBe('efgh');
    expect(rest.length).toBe(4);
    expect((await cursor.read(4)).length).toBe(0);
  });

  it('returns the source early on close', async () => {
    let finished = false;
    const source = (async function* () {
      try {
        yield* chunks('abc', 'def');
      } finally {
        finished = true;
      }
    })();
    const cursor = new ChunkCursor(source);
    await cursor.readInto(Buffer.alloc(2));
    await cursor.close();
    expect(finished).toBe(true);
  });
});
