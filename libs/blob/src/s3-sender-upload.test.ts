import { describe, expect, it } from 'vitest';
import { planParts } from './s3-sender-upload.ts';

const PART_BYTES = 5 * 1024 * 1024;

describe('planParts', () => {
  it('plans contiguous parts of at least the part size, bigger when 10,000 would not hold the object', () => {
    expect(planParts(2 * PART_BYTES + 1, PART_BYTES).map((p) => p.sizeBytes)).toEqual([
      PART_BYTES,
      PART_BYTES,
      1,
    ]);
    const huge = planParts(200 * 1024 ** 3, PART_BYTES);
    expect(huge.length).toBeLessThanOrEqual(10_000);
    expect(huge.at(-1)?.offset).toBeLessThan(200 * 1024 ** 3);
  });

  it('refuses an empty object', () => {
    expect(() => planParts(0, PART_BYTES)).toThrow(/at least 1/);
  });
});
