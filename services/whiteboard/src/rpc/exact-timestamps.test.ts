import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { lzyWhiteboardService } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import { readTimestampAt, writeTimestamp } from './exact-timestamps.ts';

describe('readTimestampAt', () => {
  it("reads pylzy's List bound from_ 1675432800 s (public-api.md appendix D)", () => {
    const bytes = Buffer.from('0a016e1201741a080a0608e0a6f49e06', 'hex');
    expect(readTimestampAt(bytes, [3, 1])).toEqual({ seconds: 1675432800, nanos: 0 });
    expect(readTimestampAt(bytes, [3, 2])).toBeUndefined();
  });

  it('finds no bound in an empty TimeBounds (1a 00)', () => {
    const bytes = Buffer.from('1a00', 'hex');
    expect(readTimestampAt(bytes, [3, 1])).toBeUndefined();
    expect(lzyWhiteboardService.ListRequest.decode(bytes).createdTimeBounds).toEqual({});
  });

  it('round-trips nanoseconds that a Date would lose', () => {
    const time = { seconds: 1675432800, nanos: 123456789 };
    const bytes = writeTimestamp(new BinaryWriter(), 8, time).finish();
    expect(readTimestampAt(bytes, [8])).toEqual(time);
  });
});
